"""Heavy optional libraries imported on first use, so ``import dataloop_core`` and the CLI start fast."""
from __future__ import annotations

import importlib


class LazyModule:
    """Stands for module ``name``; the first attribute read imports it (e.g. ``numpy``: ~0.1-0.3 s)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"


numpy = LazyModule("numpy")
