"""OCR of scanned pages and images, offline.

The engine is rapidocr-onnxruntime 1.4.4: PP-OCRv4 text detection, a text-direction
classifier and PP-OCRv4 recognition (Chinese and English characters, digits and
punctuation), as ONNX models inside its wheel, run by ONNX Runtime on the CPU. Nothing is
downloaded. It runs only in the extraction worker (core.extract.worker), under its time
and memory limits, and is loaded on the first page that needs it.

How a page is read (OcrEngine.read):

1. The image is limited to MAX_SIDE pixels on its long side (PDF pages are rendered at
   that size by pypdfium2, about 170 dpi for A4).
2. Text lines are detected on a copy scaled to DETECT_SIDE (detection is the costly part
   and needs less resolution than recognition); the boxes are scaled back.
3. Orientation: when most of the detected text area lies in boxes taller than wide, the
   page is sideways and is turned by 90 degrees; then the direction classifier votes on
   every line, weighted by its confidence, and a page read upside down is turned by 180
   degrees. So pages scanned at 0, 90, 180 or 270 degrees are read in reading order.
4. Each line is cut from the full-resolution image and recognised; lines recognised
   with a confidence under MIN_SCORE are dropped.
5. Lines on the same row are joined left to right; a vertical gap larger than a line's
   height starts a new paragraph, and paragraphs are rebuilt with the same rules as a
   PDF text layer (core.extract.lines.page_paragraphs).

No OpenCV: rapidocr calls OpenCV for its image operations (resizing, cutting out the
lines, the detector's post-processing), and bind_image_ops hands it
core.extract.imageops instead, numpy and Pillow with OpenCV's semantics, so the bundle
carries no OpenCV (172 MB with its ffmpeg codecs and a second OpenBLAS). OpenCV itself is
only the reference of the quality gate (image_ops="opencv"; tests/core/extract/test_ocr_imageops.py,
bench/bench_ocr_imageops.py): on the 4 reference pages and the 23 of TAMReview.pdf the two
readings share 99.5 % of words (9,204 of 9,248), the character error rate against the
references is lower or equal on every page (0.0069 against 0.0078 on the worst), and a
page takes 4.19 s against 4.08 s (2-core AMD EPYC, under load).

The models run on OpenVINO's CPU plugin where it is installed (_use_openvino), in bfloat16
where the CPU computes it natively (AVX-512 BF16, AMX) and in fp32 elsewhere; otherwise on
ONNX Runtime, whose memory arena is switched on for these sessions (rapidocr turns it
off, which makes every layer map fresh memory and the page 2x slower here).

Recognition reads lines in batches of REC_BATCH, sorted by width, each padded to the
widest of its batch. Padding changes what the recogniser reads about as much as bfloat16
does, and costs time: measured on 5 scanned pages of TAMReview.pdf and the 4 reference
pages of tests/data/ocr (2-core AMD EPYC with AVX-512 BF16), fp32 in batches of 6 (the
former setting) took 11.05 s and agreed with unpadded fp32 on 98.9 % of words; bfloat16
in batches of 3 took 6.04 s, agreed on 99.1 %, and its character error rate against the
references was lower or equal on every page (0.0078 against 0.0242 on the worst).
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

import core.offline  # noqa: F401  (ONNX Runtime's telemetry off, before it is imported)

MAX_SIDE = 2000          # pixels, long side of the image recognised
DETECT_SIDE = 1280       # pixels, long side of the image text is detected on
MIN_SCORE = 0.5          # recognition confidence under which a line is dropped
REC_BATCH = 3            # lines recognised together (see above)
SIDEWAYS_SHARE = 0.6     # share of text area in tall boxes that makes a page sideways
OWN_IMAGE_OPS = "own"        # core.extract.imageops: numpy and Pillow, what the bundle has
OPENCV_IMAGE_OPS = "opencv"  # OpenCV itself: the reference of the quality gate (dev extra)


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    left: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


class OcrEngine:
    """One set of ONNX sessions, reused for every page of every file."""

    def __init__(self, threads: int | None = None, image_ops: str = OWN_IMAGE_OPS) -> None:
        self._image_ops = image_ops
        bind_image_ops(image_ops)
        from rapidocr_onnxruntime import RapidOCR

        _use_memory_arena()
        _use_openvino()
        threads = threads or max(1, min(2, os.cpu_count() or 1))
        # limit_type "min" with a tiny side: the detector never rescales; we do.
        self._ocr = RapidOCR(det_limit_type="min", det_limit_side_len=32, intra_op_num_threads=threads,
                             inter_op_num_threads=1, print_verbose=False, rec_batch_num=REC_BATCH)

    def read(self, image: np.ndarray) -> list[str]:
        """Paragraphs of text on a BGR (or grey) uint8 image, in reading order."""
        bind_image_ops(self._image_ops)
        image = _as_bgr(_limit_side(image, MAX_SIDE))
        image, boxes, crops = self._upright(image)
        if not boxes:
            return []
        recognised, _ = self._ocr.text_rec(crops)
        lines = [_line(box, text) for box, (text, score, *_) in zip(boxes, recognised, strict=True)
                 if score >= MIN_SCORE and text.strip()]
        return paragraphs(lines)

    def _detect(self, image: np.ndarray) -> list[np.ndarray]:
        small = _limit_side(image, DETECT_SIDE)
        found, _ = self._ocr.text_det(small)
        if found is None or len(found) == 0:
            return []
        factor = image.shape[1] / small.shape[1]
        return self._ocr.sorted_boxes(np.asarray(found, dtype=np.float32) * np.float32(factor))

    def _upright(self, image: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The page turned upright, its text boxes and the lines cut out of it (cut once:
        the direction classifier and the recogniser read the same crops)."""
        boxes = self._detect(image)
        if boxes and _sideways(boxes):
            image = np.ascontiguousarray(np.rot90(image, k=-1))
            boxes = self._detect(image)
        if not boxes:
            return image, boxes, []
        crops = self._ocr.get_crop_img_list(image, boxes)
        if self._upside_down(crops, boxes):
            image = np.ascontiguousarray(np.rot90(image, k=2))
            boxes = self._detect(image)
            crops = self._ocr.get_crop_img_list(image, boxes) if boxes else []
        return image, boxes, crops

    def _upside_down(self, crops: list[np.ndarray], boxes: list[np.ndarray]) -> bool:
        _, votes, _ = self._ocr.text_cls(crops)     # it turns a deep copy of crops, not crops
        weights = [float(np.linalg.norm(b[0] - b[1])) for b in boxes]
        flipped = sum(w * s for w, (label, s) in zip(weights, votes, strict=True) if label == "180")
        upright = sum(w * s for w, (label, s) in zip(weights, votes, strict=True) if label != "180")
        return flipped > upright


_BOUND_OPS: Any = None
_BOUND_NAME = ""


def bind_image_ops(which: str = OWN_IMAGE_OPS) -> None:
    """Makes rapidocr's modules (and this one) call `which` image operations.

    rapidocr imports cv2 when it is imported and calls it through each module's global
    `cv2`; that global is set here, so OpenCV need not be installed, and OpenCV itself
    stays as it was for anything else in the process. Binding is per process: an engine
    binds its own choice again before each page (a dictionary write when unchanged)."""
    global _BOUND_OPS, _BOUND_NAME
    if which == _BOUND_NAME:
        return
    ops: Any
    if which == OWN_IMAGE_OPS:
        ops = importlib.import_module("core.extract.imageops")
    elif which == OPENCV_IMAGE_OPS:
        ops = importlib.import_module("cv2")
    else:
        raise ValueError(f"image operations {which!r}: {OWN_IMAGE_OPS!r} or {OPENCV_IMAGE_OPS!r}")
    missing: Any = object()
    saved: Any = sys.modules.get("cv2", missing)
    sys.modules["cv2"] = ops       # what rapidocr's `import cv2` lines get, when first imported
    try:
        for name in _RAPIDOCR_CV2_MODULES:
            importlib.import_module(name)
    finally:
        if saved is missing:
            del sys.modules["cv2"]
        else:
            sys.modules["cv2"] = saved
    for name, module in list(sys.modules.items()):
        if name.startswith("rapidocr_onnxruntime") and "cv2" in vars(module):
            setattr(module, "cv2", ops)  # noqa: B010 - the module's own global
    _BOUND_OPS, _BOUND_NAME = ops, which


# rapidocr-onnxruntime 1.4.4's modules that import cv2.
_RAPIDOCR_CV2_MODULES = (
    "rapidocr_onnxruntime.main", "rapidocr_onnxruntime.cal_rec_boxes.main",
    "rapidocr_onnxruntime.ch_ppocr_rec.text_recognize", "rapidocr_onnxruntime.ch_ppocr_cls.text_cls",
    "rapidocr_onnxruntime.ch_ppocr_det.utils", "rapidocr_onnxruntime.utils.process_img",
    "rapidocr_onnxruntime.utils.load_image", "rapidocr_onnxruntime.utils.vis_res",
)


def _use_memory_arena() -> None:
    from rapidocr_onnxruntime.utils import infer_engine

    cls = infer_engine.OrtInferSession
    if getattr(cls, "_likewise_arena", False):
        return
    original = cls._init_sess_opts

    def options(config):
        opts = original(config)
        opts.enable_cpu_mem_arena = True
        return opts

    cls._init_sess_opts = staticmethod(options)
    cls._likewise_arena = True


OCR_RUNTIME_ENV = "LIKEWISE_OCR_RUNTIME"   # "onnxruntime": leave OpenVINO out of OCR
OCR_PRECISION_ENV = "LIKEWISE_OCR_PRECISION"  # "f32": no bfloat16 even where the CPU has it
# OpenVINO reserves address space generously: after one page the process maps ~1.9 GB
# (ONNX Runtime ~1.2 GB) for about the same resident memory (480 MB against 400 MB). Under
# a tighter address-space limit (the extraction worker's RLIMIT_AS) it would run out.
OPENVINO_MIN_ADDRESS_SPACE_MB = 3500


def _address_space_mb() -> float:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return float("inf")
    return float("inf") if soft == resource.RLIM_INFINITY else soft / 2**20


def _use_openvino() -> None:
    """Run rapidocr's three models on OpenVINO's CPU plugin where it loads (ocr_precision).

    In fp32 the text read on TAMReview.pdf (23 scanned pages) is identical to ONNX
    Runtime's, in 30.8 s instead of 44.6 s and 55 CPU-s instead of 86 (2-core AMD EPYC,
    AVX-512); bfloat16 is faster again (see the module's notes). rapidocr's ONNX Runtime session is kept for
    what it reads from the model's metadata (the recogniser's character list); a model
    OpenVINO cannot compile stays on ONNX Runtime, and so does one whose run fails (from
    then on), so a page is never lost to the faster runtime."""
    from rapidocr_onnxruntime.utils import infer_engine

    cls = infer_engine.OrtInferSession
    if getattr(cls, "_likewise_openvino", False) or os.environ.get(OCR_RUNTIME_ENV) == "onnxruntime" \
            or _address_space_mb() < OPENVINO_MIN_ADDRESS_SPACE_MB:
        return
    try:
        import openvino as ov
    except ImportError:
        return
    original_init, original_call = cls.__init__, cls.__call__
    core = ov.Core()
    precision = ocr_precision(core)

    def init(self, config):
        original_init(self, config)
        self._likewise_request = None
        threads = int(config.get("intra_op_num_threads") or -1)
        try:
            compiled = core.compile_model(str(config["model_path"]), "CPU", {
                "INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
                # no per-shape kernel cache: lines come in many widths, so it only grew
                # (TAMReview.pdf: 1.5 GB peak with it, 0.79 GB without, same speed)
                "CPU_RUNTIME_CACHE_CAPACITY": 0,
                **({"INFERENCE_NUM_THREADS": threads} if threads > 0 else {})})
        except Exception:  # noqa: BLE001 - ONNX Runtime serves this model
            return
        self._likewise_input = compiled.inputs[0].get_any_name()
        self._likewise_request = compiled.create_infer_request()

    def call(self, input_content):
        if self._likewise_request is not None:
            try:
                result = self._likewise_request.infer({self._likewise_input: input_content})
                return [np.array(result[0])]
            except Exception:  # noqa: BLE001 - e.g. out of address space: ONNX Runtime goes on
                self._likewise_request = None
        return original_call(self, input_content)

    cls.__init__, cls.__call__ = init, call
    cls._likewise_openvino = True


def ocr_precision(core) -> str:
    """bf16 where OpenVINO's CPU plugin computes it natively, else f32."""
    if os.environ.get(OCR_PRECISION_ENV) == "f32":
        return "f32"
    try:
        capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # noqa: BLE001
        return "f32"
    return "bf16" if "BF16" in capabilities else "f32"


def _limit_side(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    scale = side / max(h, w)
    return _BOUND_OPS.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=_BOUND_OPS.INTER_AREA)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    return image


def _sideways(boxes: list[np.ndarray]) -> bool:
    tall = wide = 0.0
    for box in boxes:
        w = float(np.linalg.norm(box[0] - box[1]))
        h = float(np.linalg.norm(box[0] - box[3]))
        if h > 1.5 * w:
            tall += w * h
        elif w > 1.5 * h:
            wide += w * h
    return tall > SIDEWAYS_SHARE * (tall + wide) if tall + wide else False


def _line(box: np.ndarray, text: str) -> Line:
    ys, xs = box[:, 1], box[:, 0]
    return Line(text=text.strip(), top=float(ys.min()), bottom=float(ys.max()), left=float(xs.min()))


def rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into printed rows (a box's middle inside the row's band), each row
    left to right, rows top to bottom."""
    out: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        if out and out[-1][0].top <= middle <= out[-1][0].bottom:
            out[-1].append(line)
        else:
            out.append([line])
    return [sorted(row, key=lambda item: item.left) for row in out]


def paragraphs(lines: list[Line]) -> list[str]:
    """Rows of text -> paragraphs (a gap taller than a line starts a new one)."""
    from core.extract.lines import page_paragraphs

    grouped = rows(lines)
    if not grouped:
        return []
    heights = sorted(max(item.height for item in row) for row in grouped)
    typical = heights[len(heights) // 2]
    text_lines: list[str] = []
    previous_bottom: float | None = None
    for row in grouped:
        top = min(item.top for item in row)
        if previous_bottom is not None and top - previous_bottom > 0.9 * typical:
            text_lines.append("")
        text_lines.append(" ".join(item.text for item in row))
        previous_bottom = max(item.bottom for item in row)
    return page_paragraphs("\n".join(text_lines))


_ENGINE: OcrEngine | None = None


def engine() -> OcrEngine:
    """The worker's one engine (loaded on first use: about a second)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = OcrEngine()
    return _ENGINE
