"""prefect_dataloop: drive the Dataloop data-labeling platform from Prefect.

Blocks (registered through the ``prefect.collections`` entry point): ``DataloopCredentials``,
``DataloopDataset``, and the job blocks ``DataloopFunction`` and ``DataloopPipeline``. Tasks are in
``prefect_dataloop.tasks``, flows in ``prefect_dataloop.flows``, the Dataloop-to-Prefect event bridge in
``prefect_dataloop.bridge``.
"""
from .credentials import DataloopCredentials
from .datasets import DataloopDataset
from .jobs import DataloopFunction, DataloopJobRun, DataloopPipeline

__version__ = "0.1.0"
__all__ = ["DataloopCredentials", "DataloopDataset", "DataloopFunction", "DataloopPipeline", "DataloopJobRun"]
