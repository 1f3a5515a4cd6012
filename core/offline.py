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
