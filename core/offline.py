"""Keep the Hugging Face stack, ONNX Runtime and NNCF off the network.

Imported first by every module that may import transformers or onnxruntime: the
variables must be set before those are imported, because they are read at import time
(ONNX Runtime's POSIX telemetry otherwise writes a device id under ~/.cache/Microsoft
and looks up its upload host when its environment is created). The extraction worker
inherits them.
"""

import os
import sys

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_name] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ["ORT_TELEMETRY_DISABLED"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# NNCF (the static int8 export, core/encoder/openvino_export.py) sends usage telemetry
# through openvino_telemetry, and creating its sender already writes a client id under
# ~/intel. Without that package NNCF falls back to sending nothing, so it is made
# unimportable here (None in sys.modules); NNCF_CI is NNCF's own switch for its events.
sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
os.environ["NNCF_CI"] = "1"
# transformers (5.x) kernelizes a loaded model with kernels from the Hub by default, and
# refuses to load it when the `kernels` package is missing: the packaged app's training
# add-on leaves that downloader out (offline, never used), so hub kernels are off there.
try:
    import importlib.util as _util

    if _util.find_spec("kernels") is None:
        os.environ.setdefault("USE_HUB_KERNELS", "0")
except (ImportError, ValueError):
    os.environ.setdefault("USE_HUB_KERNELS", "0")
