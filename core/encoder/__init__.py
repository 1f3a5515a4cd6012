"""The Sentence-BERT bi-encoder: our own code on torch + transformers, reading and
writing the sentence-transformers folder format."""

from core.encoder.device import DeviceChoice, choose_device
from core.encoder.model import SentenceEncoder
from core.encoder.normalize import Normalize
from core.encoder.pooling import Pooling
from core.encoder.transformer import Transformer

__all__ = ["DeviceChoice", "Normalize", "Pooling", "SentenceEncoder", "Transformer", "choose_device"]
