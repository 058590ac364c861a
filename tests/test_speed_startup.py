"""Start-up stays light: the CLI and ``import dataloop_core`` load no numpy, PIL or tqdm (checked in a fresh
interpreter); the lazy module still behaves as numpy where it is used."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "PIL", "tqdm")
REPORT = f"print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))"
CLI_HELP = """
import json, runpy, sys
sys.argv = ["dataloop", "--help"]
try:
    runpy.run_module("dataloop_core.cli", run_name="__main__")
except SystemExit:
    pass
"""
IMPORTS = "import json, sys, dataloop_core, dataloop_core.sync, dataloop_core.runs, dataloop_core.feed\n"


@pytest.mark.parametrize("code", [CLI_HELP, IMPORTS], ids=["dataloop --help", "import dataloop_core"])
def test_start_up_imports_no_heavy_library(code):
    out = subprocess.run([sys.executable, "-c", code + REPORT], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_lazy_numpy_is_numpy_on_first_use():
    from dataloop_core._lazy import numpy as lazy
    from dataloop_core.entities.annotation_definitions import Box
    import numpy
    assert lazy.ndarray is numpy.ndarray and repr(lazy) == "LazyModule('numpy')"
    assert isinstance(Box(1, 2, 3, 4, label="a").geo, numpy.ndarray)
