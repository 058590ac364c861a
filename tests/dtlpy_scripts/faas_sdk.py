"""dtlpy deploys a function that uses the SDK's module-level API (dl.items.get, dl.datasets.get, dl.projects.get,
project.datasets.create) and reads a secret; the emulator runs it with an interpreter that has the official SDK.
A webhook (project.webhooks) with an event trigger calls HOOK_URL on upload. Prints a JSON report."""
import json
import os
import sys

from _env import dl

workdir = sys.argv[1]
report = {}

project = dl.projects.create(project_name=os.environ["NAME"])
dataset = project.datasets.create(dataset_name="source")
with open(os.path.join(workdir, "cat.txt"), "w") as fh:
    fh.write("meow")
item = dataset.items.upload(local_path=os.path.join(workdir, "cat.txt"))
secret = project.integrations.create(integrations_type="key_value", name=os.environ["NAME"] + "-secret",
                                     options={"key": "k", "value": "from-the-secret"})

package_dir = os.path.join(workdir, "package")
os.makedirs(package_dir)
with open(os.path.join(package_dir, "main.py"), "w") as fh:
    fh.write('''import os
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def lookup(self, item: dl.Item, name: str):
        fetched = dl.items.get(item_id=item.id)
        dataset = dl.datasets.get(dataset_id=fetched.dataset_id)
        project = dl.projects.get(project_id=dataset.projects[0])
        created = project.datasets.create(dataset_name=name)
        return {"item": fetched.name, "dataset": dataset.name, "project": project.name, "created": created.id,
                "item_module": type(item).__module__, "sdk": dl.__version__, "secret": os.environ.get(SECRET)}
'''.replace("SECRET", repr(secret.name)))
module = dl.PackageModule(name="default_module", entry_point="main.py", functions=[
    dl.PackageFunction(name="lookup", inputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item"),
                                              dl.FunctionIO(type=dl.PackageInputType.STRING, name="name")])])
package = project.packages.push(package_name="sdk-pkg", src_path=package_dir, modules=[module])
service = package.deploy(service_name="sdk-svc", runtime=dl.KubernetesRuntime(concurrency=1), secrets=[secret.id])
execution = service.execute(function_name="lookup", project_id=project.id, sync=True, stream_logs=False,
                            return_output=False,
                            execution_input=[dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item",
                                                           value={"item_id": item.id, "dataset_id": dataset.id}),
                                             dl.FunctionIO(type=dl.PackageInputType.STRING, name="name",
                                                           value="made-by-function")])
report["status"] = execution.latest_status["status"]
report["message"] = execution.latest_status.get("message")
report["output"] = execution.output
report["creator"] = execution.creator
report["bot"] = service.bot
report["bots"] = [bot.email for bot in project.bots.list()]
if execution.output:
    report["created_creator"] = dl.datasets.get(dataset_id=execution.output["created"]).creator

# -- a webhook trigger calls the hook URL on upload -------------------------------------------------
webhook = project.webhooks.create(name="hook", http_method="POST", hook_url=os.environ["HOOK_URL"])
report["webhook_by_name"] = project.webhooks.get(webhook_name="hook").id == webhook.id
report["webhooks_listed"] = [w.id for w in project.webhooks.list().all()] == [webhook.id]
trigger = project.triggers.create(webhook_id=webhook.id, name="on-upload-hook", resource=dl.TriggerResource.ITEM,
                                  actions=dl.TriggerAction.CREATED, filters=dl.Filters(field="name", values="hook.txt"))
report["trigger_webhook"] = trigger.webhook_id == webhook.id
with open(os.path.join(workdir, "hook.txt"), "w") as fh:
    fh.write("hook")
report["hooked_item"] = dataset.items.upload(local_path=os.path.join(workdir, "hook.txt")).id
print(json.dumps(report))
