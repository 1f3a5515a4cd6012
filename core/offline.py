"""Keep the Hugging Face stack and ONNX Runtime off the network.

Imported first by every module that may import transformers or onnxruntime: the
variables must be set before those are imported, because they are read at import time
(ONNX Runtime's POSIX telemetry otherwise writes a device id under ~/.cache/Microsoft
and looks up its upload host when its environment is created). The extraction worker
inherits them.
"""

import os

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_name] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ["ORT_TELEMETRY_DISABLED"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
