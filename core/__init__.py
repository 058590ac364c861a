"""dataloop_core: one client for the Dataloop REST API, an offline emulator, and a resumable sync engine.

Names follow the official SDK so code written for it ports by swapping ``dl.`` for a client and its imports.
"""
from types import ModuleType as _ModuleType

from ._client import DataloopClient
from .credentials import Credentials
from .exceptions import PlatformException
from .filters import (Filters, FiltersKnownFields, FiltersMethod, FiltersOperations, FiltersOrderByDirection,
                      FiltersResource)
from .paging import PagedEntities
from .runs import RunKind, RunStatus
from .entities.annotation import Annotation, AnnotationStatus, ViewAnnotationOptions
from .entities.annotation_collection import AnnotationCollection
from .entities.annotation_definitions import (Box, Classification, Cube, Ellipse, FreeText, Point, Polygon, Polyline,
                                              Pose, Segmentation, Subtitle)
from .entities.codebase import GitCodebase, ItemCodebase
from .entities.command import Command, CommandsStatus
from .entities.dataset import (DatasetExportVersion, ExpirationOptions, ExportMode, ExportType, ExportVersion,
                               IndexDriver, OutputExportType)
from .entities.driver import ExternalStorage
from .entities.execution import ExecutionStatus
from .entities.export_manifest import ExportManifest
from .entities.function_io import FunctionIO, PackageInputType
from .entities.integration import IntegrationType
from .entities.item import ExportMetadata, Item, ItemLink, ItemStatus, Link, UrlLink
from .entities.label import Label
from .entities.ontology import AttributesRange, AttributesTypes
from .entities.organization import MemberOrgRole
from .entities.package import PackageFunction, PackageModule, PackageRequirement
from .entities.pipeline_execution import CycleRerunMethod, PipelineExecutionStatus
from .entities.pipeline_node import CodeNode, DatasetNode, FunctionNode, PipelineConnection, TaskNode
from .entities.project import MemberRole
from .entities.service import InstanceCatalog, KubernetesRabbitmqAutoscaler, KubernetesRuntime
from .entities.task import TaskPriority
from .entities.trigger import TriggerAction, TriggerExecutionMode, TriggerResource, TriggerType
from .entities.workload import Workload, WorkloadUnit

__version__ = "0.1.0"
__all__ = sorted(name for name, value in dict(globals()).items()
                 if not name.startswith("_") and not isinstance(value, _ModuleType))
