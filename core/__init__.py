"""dataloop_core: one client for the Dataloop REST API, an offline emulator, and a resumable sync engine."""
from ._client import DataloopClient
from .exceptions import PlatformException
from .filters import Filters, FiltersMethod, FiltersOperations, FiltersOrderByDirection, FiltersResource
from .paging import PagedEntities

__all__ = ["DataloopClient", "PlatformException", "Filters", "FiltersMethod", "FiltersOperations",
           "FiltersOrderByDirection", "FiltersResource", "PagedEntities"]
__version__ = "0.1.0"
