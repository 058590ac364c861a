"""Point the unmodified official SDK at the emulator given by EMULATOR_URL / EMULATOR_TOKEN."""
import os
import warnings

warnings.filterwarnings("ignore")
import dtlpy as dl  # noqa: E402

URL = os.environ["EMULATOR_URL"]
dl.add_environment(environment=URL + "/api/v1", gate_url=URL, alias="emulator", verify_ssl=False)
dl.setenv("emulator")
dl.login_token(os.environ["EMULATOR_TOKEN"])
dl.verbose.disable_progress_bar = True
