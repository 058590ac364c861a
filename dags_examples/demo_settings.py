"""Settings of the example pipelines: ``DATALOOP_DEMO_<NAME>`` environment variables (the main job and the tests
set them from what they seeded). Read when a file is parsed, so never a network call."""
import os


def setting(name: str) -> str:
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", f"<{name}>")
