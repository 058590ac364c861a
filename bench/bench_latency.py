"""Speed at real latency and at scale (issue 11), side by side with the official SDK in one run.

    sudo .venv/bin/python bench/bench_latency.py [--rtt 0,40] [--files 1000] [--list 20000] [--rounds 2]
        [--scale 1000,10000] [--sweep-rtt 0,10,40,80 --plot docs/bench-latency.png] [--json out.json]

The benchmark builds its own latency link and removes it afterwards (``latency_link.py``: two network namespaces,
``tc netem`` where the kernel has it, else a tun pair and a delaying router process; kernel TCP end to end). The
emulator serves in one namespace; this script re-runs itself in the other and measures every client there as its
own process (our ``dataloop sync`` CLI, a listing script, the official SDK from ``.venv-dtlpy``). Needs root and
iproute2. At each RTT: push and pull of N x 100 KB files (default workers of each tool; ours best of --rounds,
alternating with a raw ceiling: bare concurrent POST/GET loops), listing of a seeded dataset, the no-op re-sync,
next to their bounds: W / RTT for transfers (and W / (RTT + W x size / bandwidth)), page bytes / bandwidth + RTT
per page for listings (bandwidth: what W concurrent streams of one big binary carry on the same link). Both ends
use one TCP congestion control, ``--cc`` (default cubic, else reno; see latency_link.py). ``--scale``: push, no-op
re-sync and listing of 1 KB files at several counts at 0 ms (cost per file, peak RSS). ``--sweep-rtt``: our push
and pull against workers and RTT, plotted with ``--plot`` (the ``bench`` extra). Data is kept under bench/.data.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from bench_emulator import seed_items
from bench_sync import SDK_LOGIN, emulator_state_dir, ensure_dtlpy
from latency_link import Link

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench", ".data")
OUR_WORKERS = 16  # the CLI's default --workers
PAGE = 1000

SDK_SCRIPT = SDK_LOGIN + r"""
mode, dataset_id, target = sys.argv[1:4]
dataset = dl.datasets.get(dataset_id=dataset_id)
started = time.monotonic()
if mode == "push":
    count = len(dataset.items.upload(local_path=target, return_as_list=True))
elif mode == "pull":
    count = len(list(dataset.items.download(local_path=target, to_items_folder=False)))
else:
    count = sum(1 for _ in dataset.items.list().all())
print(time.monotonic() - started, count)
"""

OUR_LIST_SCRIPT = r"""
import sys, time
from dataloop_core import DataloopClient
dataset = DataloopClient().datasets.get(dataset_id=sys.argv[1])
started = time.monotonic()
count = sum(1 for _ in dataset.items.list().all())
print(time.monotonic() - started, count)
"""


# -- data and processes -------------------------------------------------------------------------------
def make_files(count: int, size: int) -> str:
    """``count`` files of ``size`` bytes under bench/.data, generated once (file i holds its index repeated)."""
    folder = os.path.join(DATA, f"files-{count}x{size}")
    if os.path.isdir(folder) and len(os.listdir(folder)) == count:
        return folder
    partial = folder + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    for i in range(count):
        with open(os.path.join(partial, f"f{i:06d}.bin"), "wb") as handle:
            handle.write((i.to_bytes(4, "big") * (size // 4 + 1))[:size])
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(partial, folder)
    return folder


@contextlib.contextmanager
def emulator(link: Link, data_dir: str):
    """``dataloop-emulator serve`` in the server namespace (all its addresses); yields its port."""
    process = subprocess.Popen(["ip", "netns", "exec", link.server, sys.executable, "-m", "dataloop_core.emulator",
                                "serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", data_dir],
                               stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the emulator did not start")
        yield int(url.rsplit(":", 1)[1])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def run_measured(argv: list, env: dict) -> tuple:
    """(stdout, cpu seconds, peak RSS MB) of one child process.

    CPU comes from the child's rusage (``wait4``). Peak RSS comes from GNU time's ``%M``: a child's own
    ``ru_maxrss`` starts at its forking parent's peak (Linux carries it across exec), which here is this process.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        timed = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] if os.path.exists("/usr/bin/time") else []
        process = subprocess.Popen(timed + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        selector = selectors.DefaultSelector()  # read both pipes to the end, then reap with wait4
        selector.register(process.stdout, selectors.EVENT_READ, "out")
        selector.register(process.stderr, selectors.EVENT_READ, "err")
        chunks = {"out": [], "err": []}
        while selector.get_map():
            for key, _ in selector.select():
                data = os.read(key.fileobj.fileno(), 1 << 16)
                if data:
                    chunks[key.data].append(data)
                else:
                    selector.unregister(key.fileobj)
        out, err = b"".join(chunks["out"]).decode(), b"".join(chunks["err"]).decode()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"{' '.join(argv[:4])} failed ({process.returncode}): {err.strip()[-800:]}")
        rss = rss_file.read().strip().splitlines()
    return out, usage.ru_utime + usage.ru_stime, int(rss[-1]) / 1024 if timed and rss else None


class Clients:
    """Every measured client, each its own process in this (the client) namespace."""

    def __init__(self, url: str, token: str, project_id: str, work: str):
        self.token, self.project_id, self.work = token, project_id, work
        self.use(url)
        self.sdk_script = os.path.join(work, "sdk.py")
        self.list_script = os.path.join(work, "our_list.py")
        for path, text in ((self.sdk_script, SDK_SCRIPT), (self.list_script, OUR_LIST_SCRIPT)):
            with open(path, "w") as handle:
                handle.write(text)

    def use(self, url: str) -> None:
        """Reach the emulator at ``url`` from now on (the delayed or the direct path)."""
        self.url = url
        self.env = dict(os.environ, DATALOOP_BASE_URL=url, DATALOOP_TOKEN=self.token)
        self.sdk_env = dict(os.environ, EMULATOR_URL=url, EMULATOR_TOKEN=self.token,
                            DATALOOP_PATH=os.path.join(self.work, "dtlpy-home"))

    def sync(self, direction: str, folder: str, dataset_id: str, journal: str, workers: int = OUR_WORKERS) -> dict:
        out, cpu, rss = run_measured([sys.executable, "-m", "dataloop_core.cli", "sync", direction, folder,
                                      "--project", self.project_id, "--dataset", dataset_id, "--journal-dir",
                                      journal, "--workers", str(workers), "--json", "--no-progress"], self.env)
        summary = json.loads(out)
        if not summary["ok"]:
            raise RuntimeError(f"our {direction} failed: {out[:500]}")
        return {"seconds": summary["seconds"], "files": summary["transferred"], "cpu_s": cpu, "rss_mb": rss}

    def our_list(self, dataset_id: str) -> dict:
        out, cpu, rss = run_measured([sys.executable, self.list_script, dataset_id], self.env)
        seconds, count = out.split()
        return {"seconds": float(seconds), "files": int(count), "cpu_s": cpu, "rss_mb": rss}

    def sdk(self, mode: str, dataset_id: str, target: str) -> dict:
        out, cpu, rss = run_measured([ensure_dtlpy(), self.sdk_script, mode, dataset_id, target], self.sdk_env)
        seconds, count = out.strip().splitlines()[-1].split()
        return {"seconds": float(seconds), "files": int(count), "cpu_s": cpu, "rss_mb": rss}


def raw_transfers(url: str, token: str, direction: str, dataset_id: str, folder: str) -> dict:
    """The raw ceiling: bare concurrent multipart POSTs (push) or binary GETs of every item (pull), ``OUR_WORKERS``
    threads over one pooled session; no hashing, journal, listing or checks."""
    import requests
    from requests.adapters import HTTPAdapter
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=OUR_WORKERS, pool_maxsize=OUR_WORKERS))
    session.headers["authorization"] = f"Bearer {token}"
    api = f"{url}/api/v1"
    if direction == "push":
        def one(name: str) -> None:
            with open(os.path.join(folder, name), "rb") as handle:
                session.post(f"{api}/datasets/{dataset_id}/items", data={"type": "file", "path": "/raw/" + name},
                             files={"file": (name, handle)}).raise_for_status()
        work = sorted(os.listdir(folder))
    else:
        def one(item_id: str) -> None:
            with session.get(f"{api}/items/{item_id}/stream", stream=True) as response:
                response.raise_for_status()
                for _ in response.iter_content(1 << 20):
                    pass
        body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 10_000, "resource": "items"}
        work = [i["id"] for i in session.post(f"{api}/datasets/{dataset_id}/query", json=body).json()["items"]]
    started = time.monotonic()
    with ThreadPoolExecutor(OUR_WORKERS) as pool:
        list(pool.map(one, work))
    return {"seconds": time.monotonic() - started, "files": len(work)}


# -- bounds ---------------------------------------------------------------------------------------------
def bandwidth_mb_s(url: str, token: str, item_id: str, size: int) -> float:
    """What the link carries for ``OUR_WORKERS`` transfers at once (MB/s): that many connections each stream
    their share of one big binary; best of three rounds over the same connections (the first one opens them and
    grows their windows out of slow start, as the transfers measured beside it do over their own runs)."""
    import requests
    share = size // OUR_WORKERS
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=OUR_WORKERS))

    def stream(index: int) -> int:
        first = index * share  # each its own range, read to its end: the connection goes back to the pool
        headers = {"authorization": f"Bearer {token}", "Range": f"bytes={first}-{first + share - 1}"}
        with session.get(f"{url}/api/v1/items/{item_id}/stream", headers=headers, stream=True) as response:
            response.raise_for_status()
            received = sum(len(chunk) for chunk in response.iter_content(1 << 20))
        if received != share:
            raise RuntimeError(f"range {first}-{first + share - 1}: received {received} of {share} bytes")
        return received

    best = 0.0
    with ThreadPoolExecutor(OUR_WORKERS) as pool:
        for _ in range(3):
            started = time.monotonic()
            received = sum(pool.map(stream, range(OUR_WORKERS)))
            best = max(best, received / 1e6 / (time.monotonic() - started))
    return best


def page_bytes(url: str, token: str, dataset_id: str) -> dict:
    """Bytes of one full page (1,000 items) of the sync's listing query: as JSON and as sent on the wire."""
    import requests
    body = {"filter": {"$and": [{"hidden": False}, {"type": "file"}]}, "sort": {"id": "ascending"}, "page": 0,
            "pageSize": PAGE, "resource": "items"}
    response = requests.post(f"{url}/api/v1/datasets/{dataset_id}/query", json=body, stream=True,
                             headers={"authorization": f"Bearer {token}", "accept-encoding": "gzip"})
    wire = response.raw.read(decode_content=False)
    encoding = response.headers.get("content-encoding", "identity")
    return {"json": len(gzip.decompress(wire) if encoding == "gzip" else wire), "wire": len(wire),
            "encoding": encoding}


def list_bound(items: int, page: dict, mb_s: float, rtt_ms: float) -> float:
    """Items/s when each page costs one round trip plus its bytes on the wire at the link's bandwidth."""
    pages = math.ceil(items / PAGE)
    return items / (pages * (page["wire"] / 1e6 / mb_s + rtt_ms / 1000))


# -- the measurements (run inside the client namespace) -------------------------------------------------
def inside(args, link: Link) -> dict:
    from dataloop_core import DataloopClient
    from dataloop_core.emulator.auth import Auth
    work = tempfile.mkdtemp(prefix="bench-latency-")
    data_dir = emulator_state_dir(work)
    token = Auth(data_dir).issue("bench@dataloop.local", 24 * 3600)
    files = make_files(args.files, 100 * 1024)
    big = make_files(1, args.big_mb << 20)
    results = {"files": args.files, "file_kb": 100, "list_items": args.list, "our_workers": OUR_WORKERS,
               "congestion_control": link.cc, "rtt": {}}
    try:
        with emulator(link, data_dir) as port:
            client = DataloopClient(base_url=f"http://{link.server_ip(0)}:{port}", token=token)
            project = client.projects.create(f"bench-latency-{time.time_ns()}")
            listed = project.datasets.create("listed").id
        seed_items(data_dir, listed, project.id, args.list)
        with emulator(link, data_dir) as port:
            url = lambda rtt: f"http://{link.server_ip(rtt)}:{port}"  # noqa: E731
            client = DataloopClient(base_url=url(0), token=token)
            project = client.projects.get(project_id=project.id)
            fresh = lambda name: project.datasets.create(f"{name}-{time.time_ns()}").id  # noqa: E731
            clients = Clients(url(0), token, project.id, work)
            big_dataset = fresh("big")
            clients.sync("push", big, big_dataset, os.path.join(work, "j-big"))
            big_item = next(iter(client.datasets.get(dataset_id=big_dataset).items.list().all())).id
            for rtt in args.rtt:
                link.set_rtt(rtt)
                clients.use(url(rtt))
                results["rtt"][str(rtt)] = measure_at(clients, fresh, files, listed, big_item, args, rtt, work)
                print(f"rtt {rtt} ms: {json.dumps(results['rtt'][str(rtt)])}", file=sys.stderr, flush=True)
            if args.sweep_rtt:
                results["sweep"] = measure_sweep(clients, fresh, link, url, args, work)
            link.set_rtt(0)
            clients.use(url(0))
            if args.scale:
                results["scale"] = measure_scale(clients, fresh, args.scale, work)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def measure_at(clients: Clients, fresh, files: str, listed: str, big_item: str, args, rtt: float, work: str):
    tag = f"{rtt}-{time.time_ns()}"
    ours_ds, sdk_ds = fresh(f"ours-{tag}"), fresh(f"sdk-{tag}")
    journal = os.path.join(work, f"j-{tag}")
    out = {"bandwidth_mb_s": round(bandwidth_mb_s(clients.url, clients.token, big_item, args.big_mb << 20), 1),
           "page_bytes": page_bytes(clients.url, clients.token, listed)}
    pushes, pulls, raw_push, raw_pull, lists = [], [], [], [], []
    for round_ in range(args.rounds):  # ours and the raw loops alternate, so load drift hits both; best counts
        dataset = ours_ds if round_ == 0 else fresh(f"ours-{tag}-{round_}")
        pushes.append(clients.sync("push", files, dataset, f"{journal}-{round_}"))
        raw_push.append(raw_transfers(clients.url, clients.token, "push", fresh(f"raw-{tag}-{round_}"), files))
        pulled = os.path.join(work, f"pull-{tag}-{round_}")
        pulls.append(clients.sync("pull", pulled, ours_ds, f"{journal}-pull-{round_}"))
        shutil.rmtree(pulled, ignore_errors=True)
        raw_pull.append(raw_transfers(clients.url, clients.token, "pull", ours_ds, files))
        lists.append(clients.our_list(listed))
    best = lambda runs: min(runs, key=lambda r: r["seconds"])  # noqa: E731
    out["push"] = {"ours": best(pushes), "sdk": clients.sdk("push", sdk_ds, files), "raw": best(raw_push)}
    out["pull"] = {"ours": best(pulls), "sdk": clients.sdk("pull", ours_ds, os.path.join(work, f"pull-{tag}-sdk")),
                   "raw": best(raw_pull)}
    shutil.rmtree(os.path.join(work, f"pull-{tag}-sdk"), ignore_errors=True)
    out["list"] = {"ours": best(lists), "sdk": clients.sdk("list", listed, "-")}
    out["noop"] = {"ours": clients.sync("push", files, ours_ds, f"{journal}-0"),
                   "sdk": clients.sdk("push", sdk_ds, files)}
    for measure in ("push", "pull", "list"):
        for entry in out[measure].values():
            entry["per_s"] = round(entry["files"] / entry["seconds"], 1)
    # client CPU per upload: ours beyond the no-op re-sync's (start-up, sign-in, listing), least of the rounds as for
    # the rates (each round's is kept); the SDK's whole push
    ours_cpu = [round(1000 * (p["cpu_s"] - out["noop"]["ours"]["cpu_s"]) / args.files, 2) for p in pushes]
    out["push"]["ours"].update(cpu_ms_per_file=min(ours_cpu), cpu_ms_per_file_rounds=ours_cpu)
    out["push"]["sdk"]["cpu_ms_per_file"] = round(1000 * out["push"]["sdk"]["cpu_s"] / args.files, 2)
    if rtt:
        transfer_bound = OUR_WORKERS / (rtt / 1000)
        round_s = rtt / 1000 + OUR_WORKERS * 100 * 1024 / 1e6 / out["bandwidth_mb_s"]  # W files share the link
        out["bounds"] = {"transfer_files_s": round(transfer_bound, 1),
                         "transfer_files_s_with_bandwidth": round(OUR_WORKERS / round_s, 1),
                         "list_items_s": round(list_bound(args.list, out["page_bytes"], out["bandwidth_mb_s"],
                                                          rtt), 1)}
    return out


def measure_scale(clients: Clients, fresh, counts: list, work: str) -> dict:
    """Push, no-op re-sync and listing of ``count`` 1 KB files: cost per file and peak RSS, at 0 ms."""
    scale = {}
    for count in counts:
        folder = make_files(count, 1024)
        dataset = fresh(f"scale-{count}")
        journal = os.path.join(work, f"j-scale-{count}")
        pushed = clients.sync("push", folder, dataset, journal)
        noop = clients.sync("push", folder, dataset, journal)
        listed = clients.our_list(dataset)
        scale[str(count)] = {
            "push_ms_per_file": round(1000 * pushed["seconds"] / count, 3), "push_rss_mb": round(pushed["rss_mb"]),
            "noop_us_per_file": round(1e6 * noop["seconds"] / count, 1), "noop_rss_mb": round(noop["rss_mb"]),
            "list_us_per_item": round(1e6 * listed["seconds"] / count, 1), "list_rss_mb": round(listed["rss_mb"])}
        print(f"scale {count}: {json.dumps(scale[str(count)])}", file=sys.stderr, flush=True)
    return scale


def measure_sweep(clients: Clients, fresh, link: Link, url, args, work: str) -> dict:
    """Our push and pull (files/s) of ``--sweep-files`` 100 KB files at each RTT and worker count."""
    files = make_files(args.sweep_files, 100 * 1024)
    sweep = {}
    for rtt in args.sweep_rtt:
        link.set_rtt(rtt)
        clients.use(url(rtt))
        for workers in args.sweep_workers:
            tag = f"sweep-{rtt}-{workers}-{time.time_ns()}"
            dataset = fresh(tag)
            pushed = clients.sync("push", files, dataset, os.path.join(work, f"j-{tag}"), workers)
            pulled = clients.sync("pull", os.path.join(work, tag), dataset, os.path.join(work, f"j-{tag}-pull"),
                                  workers)
            shutil.rmtree(os.path.join(work, tag), ignore_errors=True)
            sweep[f"{rtt}/{workers}"] = {"rtt": rtt, "workers": workers,
                                         "push": round(pushed["files"] / pushed["seconds"], 1),
                                         "pull": round(pulled["files"] / pulled["seconds"], 1)}
            print(f"sweep {rtt} ms {workers} workers: {json.dumps(sweep[f'{rtt}/{workers}'])}", file=sys.stderr,
                  flush=True)
    return sweep


def plot(sweep: dict, path: str) -> None:
    """files/s against workers (a colour per RTT) and against RTT (a colour per worker count); push solid, pull
    dashed."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import NullFormatter
    points = list(sweep.values())
    rate = lambda kind, rtt, count: next(p[kind] for p in points if p["rtt"] == rtt and p["workers"] == count)  # noqa: E731
    rtts, workers = sorted({p["rtt"] for p in points}), sorted({p["workers"] for p in points})
    figure, (by_workers, by_rtt) = pyplot.subplots(1, 2, figsize=(12, 4.5))
    colours = pyplot.rcParams["axes.prop_cycle"].by_key()["color"]
    for colour, rtt in zip(colours, rtts):
        for kind, style in (("push", "-o"), ("pull", "--s")):
            by_workers.plot(workers, [rate(kind, rtt, w) for w in workers], style, color=colour,
                            label=f"{kind}, {rtt} ms")
    by_workers.set_xscale("log", base=2)
    by_workers.set_xticks(workers, [str(w) for w in workers])
    by_workers.xaxis.set_minor_formatter(NullFormatter())
    by_workers.set(xlabel="workers", ylabel="files/s (100 KB files)", title="files/s against workers, per RTT")
    shown = [w for w in workers if w in (4, 16, 64)] or workers
    for colour, count in zip(colours, shown):
        for kind, style in (("push", "-o"), ("pull", "--s")):
            by_rtt.plot(rtts, [rate(kind, r, count) for r in rtts], style, color=colour,
                        label=f"{kind}, {count} workers")
        by_rtt.plot(rtts[1:], [count / (r / 1000) for r in rtts[1:]], ":", color=colour, alpha=0.5,
                    label=f"{count} / RTT")
    by_rtt.set(xlabel="round trip (ms)", ylabel="files/s (100 KB files)", title="files/s against latency",
               ylim=(0, 1.15 * max(p[k] for p in points for k in ("push", "pull"))))
    for axes in (by_workers, by_rtt):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


# -- report ---------------------------------------------------------------------------------------------
def table(results: dict) -> str:
    rtts = list(results["rtt"])
    head = ["measure"] + [f"{who} {rtt} ms" for rtt in rtts for who in ("ours", "SDK")] + \
           [f"ours / SDK {rtt} ms" for rtt in rtts] + [f"ours vs bound {rtt} ms" for rtt in rtts if float(rtt)] + \
           [f"ours vs raw {rtt} ms" for rtt in rtts]
    rows = [head, ["---"] * len(head)]
    labels = {"push": "push (files/s)", "pull": "pull (files/s)", "list": "list (items/s)",
              "noop": "no-op re-sync (s)"}
    for measure, label in labels.items():
        key = "seconds" if measure == "noop" else "per_s"
        row = [label]
        for rtt in rtts:
            row += [f"{results['rtt'][rtt][measure][who][key]:,.2f}" if key == "seconds" else
                    f"{results['rtt'][rtt][measure][who][key]:,.0f}" for who in ("ours", "sdk")]
        for rtt in rtts:
            ours, sdk = (results["rtt"][rtt][measure][who][key] for who in ("ours", "sdk"))
            row.append(f"{(sdk / ours if key == 'seconds' else ours / sdk):.1f}x")
        for rtt in rtts:
            if not float(rtt):
                continue
            bounds = results["rtt"][rtt]["bounds"]
            bound = {"push": bounds["transfer_files_s"], "pull": bounds["transfer_files_s"],
                     "list": bounds["list_items_s"]}.get(measure)
            with_bandwidth = bounds["transfer_files_s_with_bandwidth"] if measure in ("push", "pull") else None
            ours = results['rtt'][rtt][measure]['ours'][key]
            row.append((f"{100 * ours / bound:.0f}% of {bound:,.0f}" if bound else "") +
                       (f" ({100 * ours / with_bandwidth:.0f}% of {with_bandwidth:,.0f} with bandwidth)"
                        if with_bandwidth else ""))
        for rtt in rtts:
            raw = results["rtt"][rtt][measure].get("raw")
            row.append(f"{100 * results['rtt'][rtt][measure]['ours'][key] / raw[key]:.0f}% of {raw[key]:,.0f}"
                       if raw else "")
        rows.append(row)
    row = ["client CPU per upload (ms)"]
    for rtt in rtts:
        row += [f"{results['rtt'][rtt]['push'][who]['cpu_ms_per_file']:.2f}" for who in ("ours", "sdk")]
    rows.append(row + [""] * (len(head) - len(row)))
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    numbers = lambda text: [float(x) if "." in x else int(x) for x in text.split(",") if x]  # noqa: E731
    parser.add_argument("--rtt", type=numbers, default=[0, 40], help="round trips to measure at, in ms")
    parser.add_argument("--files", type=int, default=1000, help="100 KB files pushed and pulled")
    parser.add_argument("--list", type=int, default=20_000, help="items in the listed dataset")
    parser.add_argument("--big-mb", type=int, default=64, help="MiB of the binary that measures bandwidth")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of our runs and the raw loops (best counts)")
    parser.add_argument("--scale", type=numbers, default=[], help="file counts for the scale run, e.g. 1000,10000")
    parser.add_argument("--sweep-rtt", type=numbers, default=[], help="RTTs of the push/pull sweep, e.g. 0,10,40,80")
    parser.add_argument("--sweep-workers", type=numbers, default=[4, 8, 16, 32, 64], help="worker counts to sweep")
    parser.add_argument("--sweep-files", type=int, default=300, help="100 KB files per sweep point")
    parser.add_argument("--plot", help="save the sweep's plot here (needs matplotlib: the bench extra)")
    parser.add_argument("--cc", default="loss-based",
                        help="TCP congestion control of both ends (default: cubic, else reno; or e.g. bbr)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--link", help=argparse.SUPPRESS)  # set when re-run inside the client namespace
    args = parser.parse_args(argv)
    if args.link:
        server, client, netem, cc = args.link.split(",")
        link = Link.attach(server, client, netem == "1", cc)
        try:
            print(json.dumps(inside(args, link)))
        finally:
            link.set_rtt(0)
        return 0
    os.makedirs(DATA, exist_ok=True)
    ensure_dtlpy()
    with Link(args.cc) as link:
        inner = subprocess.run(["ip", "netns", "exec", link.client, sys.executable, os.path.abspath(__file__),
                                *link.args(),
                                *(argv if argv is not None else sys.argv[1:])], stdout=subprocess.PIPE, text=True)
    if inner.returncode:
        return inner.returncode
    results = json.loads(inner.stdout.strip().splitlines()[-1])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    print(json.dumps(results, indent=2))
    if results["rtt"]:
        print(table(results))
    if args.plot and results.get("sweep"):
        plot(results["sweep"], args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
