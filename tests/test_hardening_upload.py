"""``overwrite=False`` never deletes, replaces or modifies a stored item, whatever its size (issue 7 point 4)."""
import logging

import pytest

POINT = {"type": "point", "label": "p", "coordinates": {"x": 1, "y": 2, "z": 0}}


@pytest.mark.parametrize("new_bytes", [b"n" * 5000, b"s" * 1000], ids=["other-size", "same-size"])
def test_upload_without_overwrite_keeps_the_existing_item(dataset, tmp_path, caplog, new_bytes):
    local = tmp_path / "x.bin"
    local.write_bytes(b"o" * 1000)
    item = dataset.items.upload(str(local), remote_path="/keep", item_metadata={"user": {"owner": "ann"}},
                                item_description="original")
    item.annotations.upload([POINT, POINT])
    local.write_bytes(new_bytes)
    with caplog.at_level(logging.INFO, logger="dataloop_core"):
        again = dataset.items.upload(str(local), remote_path="/keep")
    assert again.id == item.id
    assert "skipped /keep/x.bin: an item with that name exists (overwrite=False)" in caplog.text
    assert "upload: 0 uploaded, 1 skipped (names exist, overwrite=False), 0 failed" in caplog.text
    stored = dataset.items.get(item_id=item.id)
    assert stored.metadata["user"] == {"owner": "ann"} and stored.description == "original"
    assert stored.size == 1000 and stored.annotations_count == 2
    assert len(stored.annotations.list()) == 2
    assert dataset.items.download(items=stored, save_locally=False).read() == b"o" * 1000
