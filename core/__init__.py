"""dataloop_core: one client for the Dataloop REST API, an offline emulator, and a resumable sync engine."""
from ._client import DataloopClient
from .exceptions import PlatformException
from .filters import Filters, FiltersMethod, FiltersOperations, FiltersOrderByDirection, FiltersResource
from .paging import PagedEntities
from .entities.label import Label
from .entities.item import ExportMetadata, Item, ItemLink, ItemStatus, Link, UrlLink
from .entities.annotation import Annotation, AnnotationStatus, ViewAnnotationOptions
from .entities.annotation_collection import AnnotationCollection
from .entities.annotation_definitions import (Box, Classification, Cube, Ellipse, FreeText, Point, Polygon, Polyline,
                                              Pose, Segmentation, Subtitle)
from .entities.ontology import AttributesRange, AttributesTypes
from .entities.dataset import ExpirationOptions, ExportType, ExportVersion, IndexDriver, OutputExportType

__all__ = ["DataloopClient", "PlatformException", "Filters", "FiltersMethod", "FiltersOperations",
           "FiltersOrderByDirection", "FiltersResource", "PagedEntities", "Label", "AttributesRange",
           "AttributesTypes", "ExpirationOptions", "ExportType", "ExportVersion", "IndexDriver", "OutputExportType",
           "Item", "ItemLink", "ItemStatus", "Link", "UrlLink", "ExportMetadata", "Annotation", "AnnotationStatus",
           "ViewAnnotationOptions", "AnnotationCollection", "Box", "Classification", "Cube", "Ellipse", "FreeText",
           "Point", "Polygon", "Polyline", "Pose", "Segmentation", "Subtitle"]
__version__ = "0.1.0"
