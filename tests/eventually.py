"""A bounded wait for tests in every leg: a probe's first truthy answer, or a failure naming what did not happen."""
import time


def eventually(probe, what: str = "the condition", limit: float = 60, step: float = 0.1):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        answer = probe()
        if answer:
            return answer
        time.sleep(step)
    raise AssertionError(f"{what} did not happen within {limit} s")
