"""File names that used to sync wrong: ``*.dlpart`` names, 249-255-byte names, names that are not UTF-8,
remote paths through the reserved staging folder (issue 10 points 1 and 2)."""
from __future__ import annotations

import os

import pytest

from dataloop_core import _transfer
from dataloop_core.sync import pull, push

LONG = {  # each name exactly as long as named, in bytes (255 is the usual file-name limit)
    "a" * 245 + ".bin": b"249",
    "b" * 251 + ".bin": b"255",
    "é" * 125 + "c.txt": "é 255 bytes".encode(),  # 2-byte characters: 255 bytes, 130 characters
}


def write_tree(root, files):
    for rel, data in files.items():
        path = os.path.join(os.fsencode(root), *os.fsencode(rel).split(b"/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


def read_tree(root):
    found = {}
    for folder, dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = open(path, "rb").read()
    return found


@pytest.fixture
def jdir(tmp_path):
    return str(tmp_path / "journals")


def test_dlpart_names_push_and_pull_like_any_other(client, dataset, tmp_path, jdir):
    files = {"x": b"the real x", "x.dlpart": b"a real file that merely ends in .dlpart", "d/y.part": b"y"}
    write_tree(tmp_path / "src", files)
    summary = push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir)
    assert summary.ok and summary.transferred == 3
    summary = pull(client, dataset.id, str(tmp_path / "dst"), journal_dir=jdir)
    assert summary.ok and summary.transferred == 3
    assert read_tree(tmp_path / "dst") == files  # no staging folder left behind either


def test_names_of_249_to_255_bytes_push_and_pull(client, dataset, tmp_path, jdir):
    assert sorted(len(name.encode()) for name in LONG) == [249, 255, 255]
    write_tree(tmp_path / "src", LONG)
    assert push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir).transferred == 3
    summary = pull(client, dataset.id, str(tmp_path / "dst"), journal_dir=jdir)
    assert summary.ok and summary.transferred == 3 and read_tree(tmp_path / "dst") == LONG
    name = "b" * 251 + ".bin"
    item = dataset.items.get(filepath="/" + name)
    path = dataset.items.download(items=item, local_path=str(tmp_path / "single"))
    assert open(path, "rb").read() == b"255"


def test_a_part_left_by_a_killed_run_resumes_and_is_never_pushed(client, dataset, tmp_path, jdir):
    payload = os.urandom(200_000)
    write_tree(tmp_path / "src", {"big.bin": payload})
    push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir)
    dst = tmp_path / "dst"
    part = _transfer.part_path(str(dst / "big.bin"))
    os.makedirs(os.path.dirname(part))
    with open(part, "wb") as handle:
        handle.write(payload[:50_000])
    summary = push(client, dataset.id, str(dst), "/elsewhere", journal_dir=jdir)  # the staging folder is skipped
    assert summary.ok and summary.transferred == 0
    summary = pull(client, dataset.id, str(dst), journal_dir=jdir)
    assert summary.ok and summary.bytes == 200_000 and read_tree(dst) == {"big.bin": payload}


def test_remote_paths_through_the_staging_folder_fail_alone(client, dataset, tmp_path, jdir):
    dataset.items.upload(b"hidden", remote_path="/a/.dataloop-partial", remote_name="z.part")
    dataset.items.upload(b"fine", remote_path="/a", remote_name="ok.txt")
    summary = pull(client, dataset.id, str(tmp_path / "dst"), journal_dir=jdir)
    assert [f.path for f in summary.failed] == ["a/.dataloop-partial/z.part"]
    assert "'.dataloop-partial' is reserved for partial downloads" in summary.failed[0].reason
    assert read_tree(tmp_path / "dst") == {"a/ok.txt": b"fine"}


def test_a_name_that_is_not_utf8_fails_alone_named_and_escaped(client, dataset, tmp_path, jdir):
    src = tmp_path / "src"
    write_tree(src, {"good.txt": b"good", "sub/fine.bin": b"fine"})
    with open(os.path.join(os.fsencode(src), b"bad\xff.txt"), "wb") as handle:
        handle.write(b"latin-1 name")
    os.makedirs(os.path.join(os.fsencode(src), b"dir\xfe"))
    with open(os.path.join(os.fsencode(src), b"dir\xfe", b"inner.txt"), "wb") as handle:
        handle.write(b"in a folder with a bad name")
    summary = push(client, dataset.id, str(src), journal_dir=jdir)
    assert summary.transferred == 2 and not summary.ok
    assert sorted(f.path for f in summary.failed) == ["bad\\xff.txt", "dir\\xfe"]
    assert all("not valid UTF-8" in f.reason for f in summary.failed)
    summary.to_dict()  # JSON-safe
    assert sorted(i.filename for i in dataset.items.list().all() if i.type == "file") == ["/good.txt",
                                                                                          "/sub/fine.bin"]


def test_items_upload_names_a_bad_local_name(dataset, tmp_path):
    path = os.path.join(os.fsencode(tmp_path), b"bad\xff.txt")
    with open(path, "wb") as handle:
        handle.write(b"x")
    with pytest.raises(Exception, match=r"invalid remote path '/bad\\\\xff.txt': not valid UTF-8"):
        dataset.items.upload(os.fsdecode(path), raise_on_error=True)


def test_parts_in_one_folder_open_and_finish_concurrently(tmp_path):
    """Finishing downloads remove the staging folder when empty while others create it again."""
    import threading
    errors = []

    def work(worker):
        for i in range(300):
            target = str(tmp_path / f"f{worker}-{i}")
            part = _transfer.part_path(target)
            try:
                with _transfer.open_part(part) as handle:
                    handle.write(b"x")
                _transfer.finish_part(part, target)
            except OSError as exc:
                errors.append(exc)
    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(os.listdir(tmp_path)) == 8 * 300
