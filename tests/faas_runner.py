"""The FaaS test runner package (a ServiceRunner whose functions succeed, fail, block, crash or hog memory),
wait_status, the bounded poll on an execution's status, and HookServer, a webhook receiver on 127.0.0.1."""
import json
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODE = textwrap.dedent('''
    import logging, os, time

    class ServiceRunner:
        def __init__(self, greeting="hello"):
            self.greeting = greeting

        def run(self, item, progress):
            print(f"{self.greeting} {item.name}")
            logging.getLogger("user").warning("processing %s", item.id)
            progress.update(progress=50, message="half way")
            return item

        def echo(self, config):
            return {"echo": config, "greeting": self.greeting}

        def fail(self):
            raise ValueError("boom from user code")

        def block(self, flag):
            deadline = time.time() + 60
            while not os.path.exists(flag) and time.time() < deadline:
                time.sleep(0.05)
            return "released"

        def crash(self):
            os._exit(7)

        def hog(self):
            return len(bytearray(8 * 1024 ** 3))
''')
MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
            "initInputs": [{"name": "greeting", "type": "String"}],
            "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}],
                           "output": [{"name": "item", "type": "Item"}]},
                          {"name": "echo", "input": [{"name": "config", "type": "Json"}]},
                          {"name": "fail", "input": []},
                          {"name": "block", "input": [{"name": "flag", "type": "String"}]},
                          {"name": "crash", "input": []}, {"name": "hog", "input": []}]}]


def wait_status(service, execution_id: str, status: str):
    """Poll (bounded) until the execution reaches ``status``; returns it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        execution = service.executions.get(execution_id=execution_id)
        if execution.latest_status["status"] == status:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} never reached {status}")


class HookServer:
    """A tiny HTTP server on 127.0.0.1 (``with HookServer() as hook``): records each request in ``received``
    (path, headers, JSON body) and answers the statuses queued in ``answers``, then 200."""

    def __init__(self):
        self.received, self.answers = [], []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(hook.answers.pop(0) if hook.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "HookServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
