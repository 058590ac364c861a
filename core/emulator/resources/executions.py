"""executions routes (wire-reference §3)."""
from typing import List

from ..routing import Route

ROUTES: List[Route] = []
