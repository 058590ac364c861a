"""Example flows of prefect_dataloop, each runnable offline against the emulator (``python -m flows_examples.X``).

``main_job`` (sync then annotate; the README's main job), ``dask_sync`` (the same sync on a 2-process Dask
cluster), ``event_bridge`` (new items start a deployment through a DeploymentEventTrigger).
"""
