"""Keep the Hugging Face stack off the network.

Imported first by every module that may import transformers: the variables must be
set before transformers (or huggingface_hub) is imported, because they are read at
import time.
"""

import os

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_name] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
