"""Export a sentence-transformers folder to the fast CPU path: ONNX, fused, int8, and
static int8 for OpenVINO (core.encoder.openvino_export) where NNCF is installed.

The route (measured on this project's 2-core AMD EPYC machine; see README "Fast CPU
encoding"): the transformer is traced with eager attention (the SDPA graph carries
Where/IsNaN masking that costs ~20% of the run), ONNX Runtime's BERT optimizer fuses
embeddings, attention, GELU and layer norms, and dynamic int8 quantization with one
scale per output channel turns every projection into an int8 matrix product.
Export needs torch and onnx; running the result needs neither (core.encoder.onnx_backend).

Usage (the build step for the bundled model): python -m core.encoder.export MODEL_DIR BASE_DIR
(writes BASE_DIR/<content hash>/, the layout that LIKEWISE_FAST_BUNDLED and a frozen
bundle's fast-models/ folder are searched in)
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import core.offline  # noqa: F401  (before transformers is imported)
from core.encoder.onnx_backend import FORMAT, MANIFEST, ONNX_FILE, POOLING_SUPPORTED, TOKENIZER_FILE
from core.encoder.openvino_export import nncf_available, quantize_openvino_in_child
from core.encoder.runtimes import ONNXRUNTIME, OPENVINO
from core.errors import ModelError

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_fast_model(model_dir: Path | str, out_dir: Path | str, reference: Any = None,
                      source_hash: str = "") -> Path:
    """Write the int8 export of ``model_dir`` into ``out_dir`` (made anew, atomically).

    ``reference`` is the model's SentenceEncoder when the caller has it loaded already."""
    from core.encoder.model import SentenceEncoder
    from core.encoder.pooling import Pooling

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    ref = reference if reference is not None else SentenceEncoder.load(model_dir, device="cpu")
    pooling = next(m for m in ref.children() if isinstance(m, Pooling))
    unsupported = [m for m in pooling.modes if m not in POOLING_SUPPORTED]
    if unsupported:
        raise ModelError(f"pooling {', '.join(unsupported)} is not supported by the fast path")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir.parent))
    try:
        inputs = _trace(ref, model_dir, work / "fp32.onnx")
        fused = _fuse(work / "fp32.onnx", work / "fused.onnx", ref.transformer.auto_model.config)
        _quantize(fused, work / ONNX_FILE)
        _save_tokenizer(ref, work / TOKENIZER_FILE)
        runtimes = {ONNXRUNTIME: ONNX_FILE}
        notes = {}
        if nncf_available():
            try:
                xml = quantize_openvino_in_child(work / "fp32.onnx", work, work / TOKENIZER_FILE,
                                                 ref.max_seq_length, list(inputs))
                runtimes[OPENVINO] = xml.name
            except Exception as exc:  # noqa: BLE001 - the ONNX Runtime model still serves
                notes[OPENVINO] = f"{type(exc).__name__}: {exc}"[:300]
        else:
            notes[OPENVINO] = "nncf is not installed"
        for name in ("fp32.onnx", "fused.onnx"):
            (work / name).unlink(missing_ok=True)
        _write_manifest(work, ref, pooling, inputs, source_hash, runtimes, notes)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out_dir


def _trace(ref: Any, model_dir: Path, target: Path) -> list[str]:
    """torch.onnx.export of the transformer (eager attention), dynamic batch and length."""
    import torch
    from transformers import AutoModel

    from core.encoder.folder_format import check_safe_weights

    folder = Path(ref.transformer.auto_model.config._name_or_path or model_dir)
    if not (folder / "config.json").is_file():
        folder = model_dir
    check_safe_weights(folder)
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(folder, use_safetensors=True, local_files_only=True,
                                          attn_implementation="eager", dtype=torch.float32).eval()
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    takes = set(_forward_params(model))
    names = [n for n in INPUTS if n in takes]
    wrapper = _TokenEmbeddings(model, names)
    # Trace with batch 2 and length 16: a dimension of size 1 would be frozen.
    ids = torch.full((2, 16), int(ref.tokenizer.pad_token_id or 0) + 1, dtype=torch.long)
    example = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]}
    from core.encoder.device import COMPUTE

    # the trace runs forwards: one computation at a time (core/encoder/device.py)
    with COMPUTE, torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")   # tracer notes on shapes: the gates check the result
        torch.onnx.export(wrapper, tuple(example[n] for n in names), str(target), input_names=names,
                          output_names=["token_embeddings"], dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False)
    return names


def _forward_params(model: Any) -> list[str]:
    import inspect

    return list(inspect.signature(model.forward).parameters)


def _fuse(source: Path, target: Path, config: Any) -> Path:
    """ONNX Runtime's transformer optimizer (BERT patterns); the unfused graph when the
    architecture does not match them."""
    try:
        from onnxruntime.transformers import optimizer

        fused = optimizer.optimize_model(
            str(source), model_type="bert", num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
            hidden_size=int(getattr(config, "hidden_size", 0) or 0), opt_level=1)
        fused.save_model_to_file(str(target))
        return target
    except Exception:  # noqa: BLE001 - fusion is an optimisation, never a requirement
        return source


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8, per-channel weights; the embedding lookup stays in fp32 (measured:
    mean cosine 0.9924 -> 0.9929 on 256-token paragraphs, same speed)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    embeddings = [n.name for n in graph.node if n.op_type == "EmbedLayerNormalization"]
    root = logging.getLogger()
    advice = _DropAdvice()
    root.addFilter(advice)   # ORT's quantizer advises "pre-processing" for image models on the console
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=embeddings,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.removeFilter(advice)


class _DropAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("Please consider to run pre-processing")


def _save_tokenizer(ref: Any, target: Path) -> None:
    backend = getattr(ref.tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelError("the fast path needs a fast (Rust) tokenizer")
    target.write_text(backend.to_str(), encoding="utf-8")


def _write_manifest(folder: Path, ref: Any, pooling: Any, inputs: list[str], source_hash: str,
                    runtimes: dict[str, str], notes: dict[str, str]) -> None:
    import onnxruntime

    manifest = {
        "format": FORMAT, "precision": "int8", "name": ref.name, "source_hash": source_hash,
        "max_seq_length": ref.max_seq_length, "word_dim": pooling.word_dim, "pooling": list(pooling.modes),
        "normalize": ref.normalizes, "pad_token_id": int(ref.tokenizer.pad_token_id), "inputs": inputs,
        "runtimes": runtimes, "not_made": notes,
        "routes": {ONNXRUNTIME: "onnx eager attention, ORT BERT fusion, dynamic int8 per-channel weights",
                   OPENVINO: "onnx eager attention, NNCF static int8 (transformer preset), OpenVINO IR"},
        "onnxruntime": onnxruntime.__version__, "openvino": _version("openvino"),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


class _TokenEmbeddings:  # a torch.nn.Module, built lazily so that torch is imported only here
    def __new__(cls, model: Any, names: list[str]) -> Any:
        import torch

        class TokenEmbeddings(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *args: Any) -> Any:
                return self.model(**dict(zip(names, args, strict=True)), return_dict=True).last_hidden_state

        return TokenEmbeddings()
