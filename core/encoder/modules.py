"""The three modules of a Sentence-BERT model: Transformer -> Pooling -> Normalize.

Each module passes a dict of tensors on (``input_ids``, ``attention_mask``, ...,
``token_embeddings``, ``sentence_embedding``) and saves/loads itself in its own folder,
in the sentence-transformers folder format, so that either library can read the other's
models.

One module per file (transformer.py, pooling.py, normalize.py), as sentence-transformers
keeps them; this module gathers them for ``from core.encoder.modules import ...``.
"""

from core.encoder.folder_format import read_json, write_json
from core.encoder.normalize import Normalize
from core.encoder.pooling import Pooling
from core.encoder.transformer import Transformer

__all__ = ["Normalize", "Pooling", "Transformer", "read_json", "write_json"]
