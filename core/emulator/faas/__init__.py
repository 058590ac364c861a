"""The emulator's FaaS runtime: executions run user code in worker processes, never in the server.

``runtime.FaasRuntime`` is the entry point (``emulator.extensions["faas"]``); ``pool`` manages per-service
worker processes, ``worker`` is the code that runs inside them, ``dispatch`` fires event and cron triggers,
``logstore`` keeps execution logs, ``cron`` parses schedules, ``inputs`` checks execution inputs.
"""
