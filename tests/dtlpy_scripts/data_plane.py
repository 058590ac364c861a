"""dtlpy's own upload, list, filter, download and annotation calls against the emulator; prints a JSON report."""
import io
import json
import os
import sys

import numpy as np
from PIL import Image

from _env import dl

workdir = sys.argv[1]
report = {}

project = dl.projects.create(project_name=os.environ["NAME"])
report["project"] = dl.projects.get(project_id=project.id).name == project.name
report["project_by_name"] = dl.projects.get(project_name=project.name).id == project.id
dataset = project.datasets.create(dataset_name="compat", labels=[dl.Label(tag="cat", color=(255, 0, 0)),
                                                                  dl.Label(tag="dog", color=(0, 0, 255))])
report["dataset_labels"] = sorted(dataset.labels_flat_dict)

# upload: a folder, one file with metadata, a buffer, a numpy array
folder = os.path.join(workdir, "images")
os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
for i in range(6):
    Image.new("RGB", (32 + i, 24), (i * 40, 10, 10)).save(os.path.join(folder, "sub" if i % 2 else "", f"img{i}.png"))
items = dataset.items.upload(local_path=folder, remote_path="/batch")
report["uploaded_folder"] = len(list(items))
single = dataset.items.upload(local_path=os.path.join(folder, "img0.png"), remote_path="/single",
                              item_metadata={"user": {"k": "v"}})
report["single_meta"] = single.metadata["user"]["k"]
report["single_size"] = single.metadata["system"]["size"] == os.path.getsize(os.path.join(folder, "img0.png"))
buffer = io.BytesIO(b"hello dtlpy")
buffer.name = "hello.txt"
report["buffer"] = dataset.items.upload(local_path=buffer, remote_path="/buf").name
array_item = dataset.items.upload(local_path=np.zeros((8, 9, 3), dtype=np.uint8), remote_name="arr.png")
report["array_wh"] = [array_item.width, array_item.height]

# list and filter
report["list_count"] = dataset.items.list().items_count
flt = dl.Filters(field="dir", values="/batch/images/sub")
report["filter_dir"] = sorted(i.name for i in dataset.items.list(filters=flt).all())
flt = dl.Filters(field="filename", values="/batch")
report["filter_recursive"] = dataset.items.list(filters=flt).items_count
flt = dl.Filters(field="metadata.user.k", values="v")
report["filter_metadata"] = [i.filename for i in dataset.items.list(filters=flt).all()]
report["get_by_path"] = dataset.items.get(filepath="/single/img0.png").id == single.id
paged = dataset.items.list(page_size=2)
report["keyset_pages"] = sum(len(page) for page in paged)

# update (diff PATCH)
single.metadata["user"]["k2"] = "v2"
single = single.update()
report["updated_meta"] = dataset.items.get(item_id=single.id).metadata["user"]

# annotations
builder = single.annotations.builder()
builder.add(annotation_definition=dl.Box(top=2, left=3, bottom=10, right=12, label="cat"))
builder.add(annotation_definition=dl.Point(x=5, y=6, label="dog"))
builder.add(annotation_definition=dl.Polygon(geo=[[1, 1], [10, 1], [10, 10]], label="cat"))
builder.add(annotation_definition=dl.Classification(label="dog"))
mask = np.zeros((24, 32), dtype=bool)
mask[2:8, 3:9] = True
builder.add(annotation_definition=dl.Segmentation(geo=mask, label="cat"))
single.annotations.upload(builder)
annotations = single.annotations.list()
report["annotation_types"] = sorted(a.type for a in annotations)
box = [a for a in annotations if a.type == "box"][0]
report["box"] = [box.top, box.left, box.bottom, box.right]
box.label = "dog"
box.update()
report["box_label_after_update"] = dl.annotations.get(annotation_id=box.id).label
seg = [a for a in annotations if a.type == "binary"][0]
report["mask_pixels"] = int(seg.annotation_definition.geo.sum())
flt = dl.Filters(resource=dl.FiltersResource.ANNOTATION, field="label", values="cat")
report["annotation_filter"] = dataset.annotations.list(filters=flt).items_count
flt = dl.Filters()
flt.add_join(field="label", values="dog")
report["join_items"] = [i.name for i in dataset.items.list(filters=flt).all()]
dl.annotations.delete(annotation_id=[a for a in annotations if a.type == "point"][0].id)
report["after_delete"] = len(single.annotations.list())

# download
out = os.path.join(workdir, "download")
dataset.items.download(local_path=out)
files = sorted(os.path.relpath(os.path.join(r, f), out) for r, _, fs in os.walk(out) for f in fs)
report["downloaded"] = files
with open(os.path.join(out, "items", "single", "img0.png"), "rb") as fh, \
        open(os.path.join(folder, "img0.png"), "rb") as src:
    report["download_identical"] = fh.read() == src.read()
report["to_array_shape"] = list(single.download(save_locally=False, to_array=True).shape)

# delete
dataset.items.delete(item_id=array_item.id)
report["after_item_delete"] = dataset.items.list().items_count
print(json.dumps(report))
