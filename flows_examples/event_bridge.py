"""Dataloop data changes start a Prefect deployment: new items -> bridge -> event -> DeploymentEventTrigger -> run.

Uses DATALOOP_BASE_URL/DATALOOP_TOKEN when set, else an embedded emulator. Registers the deployment
``on-new-items`` with a trigger on ``dataloop.item.created`` for one dataset folder, uploads two items, runs the
bridge flow once (in production: a deployment on an interval schedule), waits for the automation to create the
deployment's run, and executes that run here (a worker or ``.serve()`` would pick it up).
Run: ``python -m flows_examples.event_bridge``.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from flows_examples.common import dataloop, prefect_home


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="prefect-bridge-") as work, prefect_home(Path(work)), \
            dataloop(Path(work)) as (base_url, token):
        from prefect import flow
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
        from prefect.events import DeploymentEventTrigger
        from prefect.flow_engine import run_flow

        from dataloop_core import DataloopClient
        from prefect_dataloop import DataloopCredentials
        from prefect_dataloop.bridge import relay_dataloop_events

        @flow(name="on-new-item")
        def on_new_item(item_id: str) -> str:
            item = client.items.get(item_id=item_id.rsplit(".", 1)[-1])
            return f"would pre-annotate {item.filename}"

        client = DataloopClient(base_url=base_url, token=token)
        dataset = client.projects.create(f"prefect-bridge-{os.getpid()}").datasets.create("incoming")
        deployment_id = on_new_item.to_deployment("on-new-items", triggers=[DeploymentEventTrigger(
            expect={"dataloop.item.created"}, match_related={"prefect.resource.id": f"dataloop.dataset.{dataset.id}"},
            parameters={"item_id": "{{ event.resource.id }}"})]).apply()
        for name in ("a.txt", "b.txt"):
            dataset.items.upload(local_path=name.encode(), remote_path="/incoming", remote_name=name)
        relayed = relay_dataloop_events(DataloopCredentials(base_url=base_url, token=token),
                                        [{"items": {"dataset_id": dataset.id, "filters": {"dir": "/incoming"},
                                                    "settle": 0}}])
        print(f"bridge: relayed {relayed['events']}")
        runs, deadline = [], time.monotonic() + 90
        with get_client(sync_client=True) as prefect:
            while len(runs) < 2 and time.monotonic() < deadline:
                time.sleep(1)
                runs = prefect.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(
                    any_=[deployment_id])))
        print(f"the trigger created {len(runs)} run(s) of deployment on-new-items")
        for run in runs:
            print(f"  run {run.name}: {run_flow(on_new_item, flow_run=run, parameters=run.parameters)}")
    return 0 if len(runs) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
