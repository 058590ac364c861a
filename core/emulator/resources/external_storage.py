"""external storage routes (wire-reference §3.4 sync)."""
from typing import List

from ..routing import Route

ROUTES: List[Route] = []
