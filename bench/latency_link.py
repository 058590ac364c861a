"""A latency link between two network namespaces, built and removed by the benchmark (root, iproute2).

Where the kernel has ``sch_netem`` the delay is ``tc netem`` on a veth pair. Kernels without it (this machine's:
no netem, no fq) get a delaying router instead: a tun device in each namespace and one process that reads every
IP packet from one tun and writes it to the other after the one-way delay. Either way TCP is the kernel's, end
to end (handshakes, slow start, windows), with a 1,500-byte MTU on the delayed path (and segmentation
offload, as a veth pair has). Besides the delayed path the
namespaces share a plain veth pair (no delay): the 0 ms path.

Both namespaces use one named TCP congestion control (``cc``), set explicitly rather than inherited from the host.
The default is loss-based: ``cubic`` (Linux's default) where a namespace may select it, else ``reno``; on this
lossless link the two behave alike for request/response traffic. ``bbr`` is worth measuring too, knowing that on
an application-limited flow it paces each response over about half a round trip (its bandwidth estimate comes
from the paced responses themselves), so no request/response client exceeds ~W / (1.5 RTT) under it.

    with Link(cc="cubic") as link:           # namespaces link.server / link.client
        link.set_rtt(40)                     # then reach the server at link.server_ip(40)
"""
from __future__ import annotations

import collections
import ctypes
import fcntl
import os
import select
import shutil
import struct
import subprocess
import sys
import time

DIRECT = ("10.211.0.1", "10.211.0.2")   # server, client on the veth pair (no delay)
DELAYED = ("10.213.0.1", "10.213.0.2")  # server, client on the tun pair (the router delays them)
TUNSETIFF, TUNSETOFFLOAD, CLONE_NEWNET = 0x400454CA, 0x400454D0, 0x40000000
IFF_TUN, IFF_NO_PI, IFF_VNET_HDR = 0x0001, 0x1000, 0x4000
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 = 0x01, 0x02, 0x04


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def has_netem() -> bool:
    probe = f"dlbprobe{os.getpid() % 100000}"
    run("ip", "netns", "add", probe)
    try:
        return run("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
                   check=False).returncode == 0
    finally:
        run("ip", "netns", "del", probe, check=False)


class Link:
    """Namespaces ``server`` and ``client``, a direct veth pair, and a delayed path (netem or the tun router)."""

    def __init__(self, cc: str = "loss-based"):
        tag = os.getpid() % 100000
        self.server, self.client = f"dlb{tag}s", f"dlb{tag}c"
        self.netem = False
        self.cc = cc
        self._router = None

    @classmethod
    def attach(cls, server: str, client: str, netem: bool, cc: str) -> "Link":
        """The link built by another process (e.g. the parent that runs this one in ``client``)."""
        link = cls(cc)
        link.server, link.client, link.netem = server, client, netem
        return link

    def args(self) -> list:
        """Command-line arguments that let a child process ``attach`` to this link."""
        return ["--link", f"{self.server},{self.client},{int(self.netem)},{self.cc}"]

    def server_ip(self, rtt_ms: float) -> str:
        return DELAYED[0] if rtt_ms and not self.netem else DIRECT[0]

    def __enter__(self) -> "Link":
        if not shutil.which("ip") or not shutil.which("tc"):
            raise SystemExit("needs iproute2 (ip, tc): apt-get install iproute2")
        try:
            self.netem = has_netem()
            for ns in (self.server, self.client):
                run("ip", "netns", "add", ns)
                run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "link", "add", self.server, "netns", self.server, "type", "veth",
                "peer", "name", self.client, "netns", self.client)
            for ns, ip in zip((self.server, self.client), DIRECT):
                run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", ns)
                run("ip", "-n", ns, "link", "set", ns, "up")
            if not self.netem:
                for ns, (ip, peer) in ((self.server, DELAYED), (self.client, DELAYED[::-1])):
                    run("ip", "-n", ns, "tuntap", "add", "dev", "dlbtun", "mode", "tun", "vnet_hdr")
                    run("ip", "-n", ns, "addr", "add", ip, "peer", peer, "dev", "dlbtun")
                    run("ip", "-n", ns, "link", "set", "dlbtun", "up")
            self.cc = self._set_congestion_control()
        except subprocess.CalledProcessError as exc:
            self.__exit__()
            raise SystemExit(f"cannot build the latency link ({' '.join(exc.cmd)}): {exc.stderr.strip()}")
        return self

    def _set_congestion_control(self) -> str:
        """Select ``self.cc`` in both namespaces (``loss-based``: cubic, else reno); the name actually set."""
        for name in ("cubic", "reno") if self.cc == "loss-based" else (self.cc,):
            if all(run("ip", "netns", "exec", ns, "sysctl", "-w", f"net.ipv4.tcp_congestion_control={name}",
                       check=False).returncode == 0 for ns in (self.server, self.client)):
                return name
        raise subprocess.CalledProcessError(1, ["sysctl", f"net.ipv4.tcp_congestion_control={self.cc}"],
                                            stderr=f"congestion control {self.cc!r} cannot be selected here")

    def __exit__(self, *exc) -> None:
        self._stop_router()
        for ns in (self.server, self.client):
            run("ip", "netns", "del", ns, check=False)  # removes its devices too

    def set_rtt(self, rtt_ms: float) -> None:
        """Half the round trip on each direction of the delayed path."""
        if self.netem:
            for ns in (self.server, self.client):
                if rtt_ms:
                    run("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", ns, "root", "netem",
                        "delay", f"{rtt_ms / 2}ms", "limit", "100000")
                else:
                    run("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", ns, "root", check=False)
            return
        self._stop_router()
        if rtt_ms:
            self._router = subprocess.Popen([sys.executable, os.path.abspath(__file__), self.server, self.client,
                                             str(rtt_ms / 2000)], stdout=subprocess.PIPE, text=True)
            if self._router.stdout.readline().strip() != "ready":
                raise RuntimeError("the delaying router did not start")

    def _stop_router(self) -> None:
        if self._router is not None:
            self._router.terminate()
            self._router.wait(timeout=10)
            self._router = None


# -- the delaying router (its own process) -------------------------------------------------------------
def open_tun(namespace: str, name: str = "dlbtun") -> int:
    """Attach to the tun device ``name`` of ``namespace`` (this thread enters the namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/var/run/netns/{namespace}") as handle:
        if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({namespace})")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI | IFF_VNET_HDR))
    fcntl.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
    return fd


def route(a: int, b: int, delay: float) -> None:
    """Forever: each packet read from one tun is written to the other ``delay`` seconds later (FIFO).

    Packets travel with their virtio-net header (segmentation offload): a burst of MSS-sized TCP segments is
    read and written as one buffer and split by the kernel, as on a veth pair; TCP still counts 1,448-byte
    segments (slow start, windows), but the router handles ~40x fewer buffers."""
    peer = {a: b, b: a}
    queues = {a: collections.deque(), b: collections.deque()}  # (due, packet) read from the key fd
    while True:
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        readable = select.select([a, b], [], [], timeout)[0]
        now = time.monotonic()
        for fd in readable:
            for _ in range(256):
                try:
                    queues[fd].append((now + delay, os.read(fd, 65536)))
                except BlockingIOError:
                    break
        for fd, queue in queues.items():
            while queue and queue[0][0] <= now:
                try:
                    os.write(peer[fd], queue.popleft()[1])
                except BlockingIOError:  # a full device queue drops the packet, as a router would
                    pass


if __name__ == "__main__":
    server_fd, client_fd = open_tun(sys.argv[1]), open_tun(sys.argv[2])
    print("ready", flush=True)
    route(server_fd, client_fd, float(sys.argv[3]))
