"""The demo: start the embedded emulator, build a labelled dataset, query it, render it, download it back.

Run with ``./dev demo`` (or ``python -m dataloop_core.demo [--out DIR] [--images N]``).
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import tempfile
import time

from PIL import Image, ImageDraw

from . import DataloopClient, Filters
from .emulator import EmulatorServer
from .entities.label import Label

LABELS = {"cat": (230, 60, 60), "dog": (60, 120, 230), "bird": (60, 190, 90)}


def generate_images(folder: str, annotations_folder: str, count: int, seed: int = 7) -> None:
    """Deterministic images of coloured shapes, with Dataloop annotation JSONs laid out like the images."""
    rng = random.Random(seed)
    for i in range(count):
        sub = ("indoor", "outdoor")[i % 2]
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        os.makedirs(os.path.join(annotations_folder, sub), exist_ok=True)
        width, height = 160 + 8 * (i % 5), 120
        image = Image.new("RGB", (width, height), (245, 240, 230))
        draw = ImageDraw.Draw(image)
        annotations = []
        for _ in range(1 + i % 3):
            label = rng.choice(sorted(LABELS))
            left, top = rng.randint(0, width - 50), rng.randint(0, height - 40)
            right, bottom = left + rng.randint(20, 48), top + rng.randint(15, 38)
            draw.rectangle([left, top, right, bottom], fill=(150, 150, 150))
            annotations.append({"type": "box", "label": label, "attributes": [],
                                 "metadata": {"system": {"attributes": {}}},
                                 "coordinates": [{"x": left, "y": top, "z": 0}, {"x": right, "y": bottom, "z": 0}]})
        if i % 4 == 0:
            points = [(10, height - 10), (40, height - 50), (70, height - 10)]
            draw.polygon(points, fill=(110, 110, 110))
            annotations.append({"type": "segment", "label": "bird", "attributes": [],
                                "metadata": {"system": {"attributes": {}}},
                                "coordinates": [[{"x": x, "y": y, "z": 0} for x, y in points]]})
        name = f"scene-{i:03d}"
        image.save(os.path.join(folder, sub, name + ".png"))
        with open(os.path.join(annotations_folder, sub, name + ".json"), "w") as handle:
            json.dump({"annotations": annotations}, handle)


def run(out_dir: str, image_count: int) -> dict:
    started = time.monotonic()
    images = os.path.join(out_dir, "source", "images")
    annotations = os.path.join(out_dir, "source", "annotations")
    generate_images(images, annotations, image_count)

    with EmulatorServer(os.path.join(out_dir, "emulator-data")) as server, \
            DataloopClient(base_url=server.url, token=server.token("demo@dataloop.local")) as client:
        print(f"output     {out_dir}")
        print(f"emulator   {server.url}  (state in <output>/emulator-data)")
        project = client.projects.create(f"demo-{int(time.time())}")
        dataset = project.datasets.create("street-scenes",
                                          labels=[Label(tag=t, color=c) for t, c in LABELS.items()])
        print(f"project    {project.name}  dataset {dataset.name}  labels {sorted(dataset.labels_flat_dict)}")

        uploaded = dataset.items.upload(local_path=images, local_annotations_path=annotations, remote_path="/demo")
        uploaded = list(uploaded) if uploaded is not None else []
        print(f"uploaded   {len(uploaded)} images with annotations")

        outdoor = dataset.items.list(filters=Filters(field="dir", values="/demo/images/outdoor"))
        with_birds = Filters()
        with_birds.add_join(field="label", values="bird")
        birds = dataset.items.list(filters=with_birds)
        wide = Filters(field="metadata.system.width", values=180, operator="gte")
        wide_items = dataset.items.list(filters=wide)
        cats = dataset.annotations.list(filters=Filters(resource="annotations", field="label", values="cat"))
        print(f"queried    outdoor={len(outdoor)}  items-with-birds={len(birds)}  width>=180={len(wide_items)}"
              f"  cat-annotations={len(cats)}")

        item = next(birds.all())
        original = item.download(local_path=os.path.join(out_dir, "rendered", "original"))
        rendered = os.path.join(out_dir, "rendered", item.name)
        item.annotations.download(filepath=rendered, annotation_format="img_mask", img_filepath=original,
                                  thickness=2)
        print(f"rendered   {item.filename} with its annotations -> <output>/rendered/{item.name}")

        downloaded = os.path.join(out_dir, "downloaded")
        dataset.items.download(local_path=downloaded)
        identical = sum(
            filecmp.cmp(os.path.join(images, rel), os.path.join(downloaded, "items", "demo", "images", rel),
                        shallow=False)
            for rel in (os.path.relpath(os.path.join(r, f), images) for r, _, fs in os.walk(images) for f in fs))
        print(f"downloaded {identical}/{image_count} files, byte-for-byte identical")

        summary = {"project": project.name, "dataset": dataset.id, "uploaded": len(uploaded),
                   "annotations": len(dataset.annotations.list()), "outdoor": len(outdoor),
                   "items_with_birds": len(birds), "identical_downloads": identical,
                   "rendered": rendered, "seconds": round(time.monotonic() - started, 2)}
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dataloop-demo", description=__doc__)
    parser.add_argument("--out", help="output folder (default: a new temporary folder)")
    parser.add_argument("--images", type=int, default=24, help="how many images to generate")
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error("--images must be at least 1")
    out_dir = args.out or tempfile.mkdtemp(prefix="dataloop-demo-")
    os.makedirs(out_dir, exist_ok=True)
    summary = run(out_dir, args.images)
    print("summary    " + json.dumps(summary))
    ok = summary["identical_downloads"] == args.images == summary["uploaded"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
