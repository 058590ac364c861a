"""A deployment that a Prefect runner serves in its own process (see test_cancel_through_the_api.py).

Run as ``python tests/prefect_tests/served_flows.py``; the runner signs in to Dataloop from DATALOOP_* and reports
to PREFECT_API_URL.
"""
from prefect import flow

from prefect_dataloop import DataloopCredentials, DataloopFunction


@flow
def run_function(project_name: str, service_name: str, function_name: str, execution_input: dict) -> dict:
    block = DataloopFunction(credentials=DataloopCredentials(), project_name=project_name,
                             service_name=service_name, function_name=function_name,
                             execution_input=execution_input, poll_interval_seconds=0.2)
    return block.trigger().wait_for_completion()


if __name__ == "__main__":
    run_function.serve(name="run-function")
