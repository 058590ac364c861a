"""The FaaS test runner package (a ServiceRunner whose functions succeed, fail, block, crash or hog memory) and
wait_status, the bounded poll on an execution's status."""
import textwrap
import time

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
