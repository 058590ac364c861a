"""dtlpy's tasks, FaaS (push, deploy, execute, logs, triggers) and pipelines against the emulator; prints a JSON
report."""
import json
import os
import sys
import time

from _env import dl

workdir = sys.argv[1]
report = {}


def wait_for(condition, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError("condition not met")


project = dl.projects.create(project_name=os.environ["NAME"])
dataset = project.datasets.create(dataset_name="work")
source = os.path.join(workdir, "files")
os.makedirs(source)
for i in range(10):
    with open(os.path.join(source, f"f{i:02d}.txt"), "w") as fh:
        fh.write(f"file {i}")
dataset.items.upload(local_path=os.path.join(source, "*"), remote_path="/task")
extra = dataset.items.upload(local_path=os.path.join(source, "f00.txt"), remote_path="/other")
flow_source = os.path.join(workdir, "flow")
os.makedirs(flow_source)
for name in ("trigger.txt", "pipeline.txt", "pipeline-trigger.txt"):
    with open(os.path.join(flow_source, name), "w") as fh:
        fh.write(name)

# -- tasks: filtered items, 60/40 workload, statuses, completion ------------------------------------
filters = dl.Filters(field="dir", values="/task")
task = dataset.tasks.create(task_name="labeling", due_date=time.time() + 86400, filters=filters,
                            workload=dl.Workload([dl.WorkloadUnit("ann1@dataloop.local", 60),
                                                  dl.WorkloadUnit("ann2@dataloop.local", 40)]))
report["task_items"] = task.get_items().items_count
report["split"] = sorted(len(list(a.get_items().all())) for a in task.assignments.list())
for item in task.get_items().all():
    item.update_status(status=dl.ItemStatus.COMPLETED, task_id=task.id)
task = dl.tasks.get(task_id=task.id)
report["task_status"] = task.status
report["task_progress"] = task.progress
report["other_untouched"] = not [r for r in dl.items.get(item_id=extra.id).metadata["system"].get("refs", [])]

# -- FaaS: push from a folder, deploy, execute with sync wait, output and logs -----------------------
package_dir = os.path.join(workdir, "package")
os.makedirs(package_dir)
with open(os.path.join(package_dir, "main.py"), "w") as fh:
    fh.write('''import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item):
        print("processing", item.name)
        item.metadata.setdefault("user", {})["seen"] = True
        item.update()
        return item

    def fail(self, item):
        raise ValueError("deliberate failure on " + item.name)
''')
module = dl.PackageModule(name="default_module", entry_point="main.py", functions=[
    dl.PackageFunction(name="run", inputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")],
                       outputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")]),
    dl.PackageFunction(name="fail", inputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")])])
package = project.packages.push(package_name="compat-pkg", src_path=package_dir, modules=[module])
report["package_modules"] = [f.name for f in package.modules[0].functions]
service = package.deploy(service_name="compat-svc", runtime=dl.KubernetesRuntime(concurrency=1))
report["service_package"] = service.package_id == package.id
item = dataset.items.get(filepath="/task/f00.txt")
execution = service.execute(function_name="run", item_id=item.id, project_id=project.id, sync=True,
                            stream_logs=False, return_output=False)
report["execution_status"] = execution.latest_status["status"]
report["execution_output"] = execution.output == {"item_id": item.id, "dataset_id": dataset.id}
report["item_seen"] = dataset.items.get(item_id=item.id).metadata["user"].get("seen")
lines = []
for line in service.log(execution_id=execution.id, view=False):
    lines.append(line)
    if "[Done] Executing function." in line:
        break
report["log_has_print"] = any(line.endswith("processing f00.txt") for line in lines)

report["sync_output"] = service.execute(function_name="run", item_id=item.id, project_id=project.id,
                                       sync=True)["item_id"] == item.id
failed = service.execute(function_name="fail", item_id=item.id, project_id=project.id, sync=True,
                         stream_logs=False, return_output=False)
report["failed_status"] = failed.latest_status["status"]
report["failed_message"] = failed.latest_status.get("message")

# -- trigger fires on upload -----------------------------------------------------------------------
trigger = service.triggers.create(function_name="run", resource=dl.TriggerResource.ITEM,
                                  actions=dl.TriggerAction.CREATED, name="on-upload",
                                  filters=dl.Filters(field="dir", values="/incoming"))
report["trigger_resource"] = trigger.resource
uploaded = dataset.items.upload(local_path=os.path.join(flow_source, "trigger.txt"), remote_path="/incoming")
by_trigger = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="triggerId", values=trigger.id)
fired = wait_for(lambda: [e for e in service.executions.list(filters=by_trigger).all()
                          if e.latest_status["status"] == "success"])
report["trigger_fired"] = [e.input["item"]["item_id"] for e in fired] == [uploaded.id]

# -- pipeline: code node -> function node ----------------------------------------------------------


def mark(item: dl.Item):
    item.metadata.setdefault("user", {})["coded"] = True
    item.update()
    return item


def marks(item_id):
    user = dataset.items.get(item_id=item_id).metadata.get("user", {})
    return [user.get("coded"), user.get("seen")]


pipeline = project.pipelines.create(name="compat-pipeline")
code_node = dl.CodeNode(name="mark", position=(1, 1), project_id=project.id, method=mark,
                        project_name=project.name)
function_node = dl.FunctionNode(name="run", position=(2, 1), service=service, function_name="run")
pipeline.nodes.add(code_node).connect(node=function_node)
code_node.add_trigger(filters=dl.Filters(field="dir", values="/pipe-in"))
pipeline.update()
pipeline = project.pipelines.get(pipeline_id=pipeline.id)
pipeline.install()
target = dataset.items.upload(local_path=os.path.join(flow_source, "pipeline.txt"), remote_path="/pipe")
run = pipeline.execute(execution_input={"item": target.id})
run = pipeline.pipeline_executions.wait(pipeline_execution_id=run.id, timeout=120)
report["pipeline_status"] = run.status
report["pipeline_marks"] = marks(target.id)
# the root node's trigger starts the pipeline on upload
uploaded = dataset.items.upload(local_path=os.path.join(flow_source, "pipeline-trigger.txt"), remote_path="/pipe-in")
report["pipeline_trigger"] = wait_for(lambda: marks(uploaded.id) == [True, True])
print(json.dumps(report))
