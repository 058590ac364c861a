"""``dataloop-emulator serve|token``: run the emulator, or print a token it accepts."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .auth import DEFAULT_EMAIL, DEFAULT_TTL, Auth

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), ".dataloop-emulator")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dataloop-emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4020)
    serve.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="state directory (persists across restarts)")
    serve.add_argument("--enable-faults", action="store_true", help="allow fault injection (tests only)")
    serve.add_argument("--log-level", default="WARNING")
    token = sub.add_parser("token", help="print a signed token a server on --data-dir accepts")
    token.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    token.add_argument("--email", default=DEFAULT_EMAIL)
    token.add_argument("--ttl", type=int, default=DEFAULT_TTL, help="validity in seconds")
    args = parser.parse_args(argv)

    if args.command == "token":
        if args.ttl <= 0:
            parser.error("--ttl must be positive")
        os.makedirs(args.data_dir, exist_ok=True)
        print(Auth(args.data_dir).issue(args.email, args.ttl))
        return 0

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from .server import EmulatorServer
    from .console import sign_in_link
    server = EmulatorServer(args.data_dir, host=args.host, port=args.port, enable_faults=args.enable_faults)
    # SIGTERM stops the server from another thread: serve_forever() then returns (a KeyboardInterrupt raised
    # inside the handler could land in the server's own exception handling and be swallowed)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop, daemon=True).start())
    print(server.url, flush=True)
    print(f"console (one-time sign-in link): {sign_in_link(server.emulator, server.url)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
