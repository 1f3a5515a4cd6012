"""The image operations OCR needs, in numpy and Pillow: what rapidocr-onnxruntime 1.4.4
calls of OpenCV on Likewise's path, so that OpenCV (172 MB with its ffmpeg codecs and a
second OpenBLAS) stays out of the bundle.

core.extract.ocr binds this module as the `cv2` of rapidocr's modules (bind_image_ops).
Only the calls and flags rapidocr makes there are implemented, with OpenCV's semantics
(pixel centres at +0.5, replicated borders, its bicubic kernel); anything else raises
ImageOpsError naming the call, so that a new rapidocr release fails loudly instead of
reading pages differently. Not provided, because Likewise never reaches them: rapidocr's
own image loading (RapidOCR.__call__: imread, bitwise_*, add, split/merge,
copyMakeBorder), its word boxes (invert) and its drawing of results (putText, polylines).
Connected components and their minimum-area rectangles, for the detector's post-processing,
are in core.extract.contours.

The OCR quality gate (tests/core/extract/test_ocr_imageops.py, bench/bench_ocr_imageops.py) compares
pages read through this module with pages read through OpenCV.
"""

from __future__ import annotations

import numpy as np

from core.extract import contours

# OpenCV's values of the flags rapidocr passes.
INTER_LINEAR = 1
INTER_CUBIC = 2
INTER_AREA = 3
BORDER_CONSTANT = 0
BORDER_REPLICATE = 1
RETR_LIST = 1
CHAIN_APPROX_SIMPLE = 2
ROTATE_180 = 1
COLOR_BGRA2BGR = 1
COLOR_RGB2BGR = 4
COLOR_GRAY2BGR = 8


class ImageOpsError(NotImplementedError):
    """An OpenCV call or flag that Likewise's image operations do not provide."""


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise ImageOpsError(f"cv2.{name} is not provided by core.extract.imageops, which has only what "
                        "rapidocr-onnxruntime 1.4.4 calls on Likewise's path (core.extract.ocr)")


def _unsupported(call: str, what: object) -> ImageOpsError:
    return ImageOpsError(f"cv2.{call} with {what!r} is not provided by core.extract.imageops")


def _as_uint8_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return values.astype(dtype)


# -- resize ----------------------------------------------------------------------------

def _linear_taps(size_out: int, size_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of OpenCV's bilinear resize along one axis."""
    x = (np.arange(size_out, dtype=np.float64) + 0.5) * (size_in / size_out) - 0.5
    x = np.maximum(x, 0.0)
    left = np.floor(x).astype(np.int64)
    frac = x - left
    left = np.minimum(left, size_in - 1)
    right = np.minimum(left + 1, size_in - 1)
    return left, right, frac


def _resize_linear(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    src = image.astype(np.float32)
    top, bottom, fy = _linear_taps(height, h)
    left, right, fx = _linear_taps(width, w)
    shape = (-1, 1) + (1,) * (image.ndim - 2)
    fy32 = fy.astype(np.float32).reshape(shape)
    rows = src[top] * (1 - fy32) + src[bottom] * fy32
    fx32 = fx.astype(np.float32).reshape((1, -1) + (1,) * (image.ndim - 2))
    out = rows[:, left] * (1 - fx32) + rows[:, right] * fx32
    return _as_uint8_like(out, image.dtype)


def _area_axis(values: np.ndarray, size_out: int, axis: int) -> np.ndarray:
    """Shrinks one axis by averaging over each output pixel's footprint, partial source
    pixels weighted by the share they cover (OpenCV's INTER_AREA)."""
    size_in = values.shape[axis]
    scale = size_in / size_out
    starts = np.arange(size_out, dtype=np.float64) * scale
    first = np.floor(starts).astype(np.int64)
    shape = [1] * values.ndim
    shape[axis] = size_out
    out = np.zeros(values.shape[:axis] + (size_out,) + values.shape[axis + 1:], dtype=np.float32)
    for k in range(int(np.ceil(scale)) + 1):
        pixel = first + k
        covered = np.minimum(starts + scale, pixel + 1) - np.maximum(starts, pixel)
        weight = (np.maximum(covered, 0.0) / scale).astype(np.float32)
        if not weight.any():
            continue
        out += np.take(values, np.minimum(pixel, size_in - 1), axis=axis) * weight.reshape(shape)
    return out


def _resize_area(image: np.ndarray, width: int, height: int) -> np.ndarray:
    shrunk = _area_axis(_area_axis(image, height, 0), width, 1)
    return _as_uint8_like(shrunk, image.dtype)


def resize(image: np.ndarray, dsize: tuple[int, int], *, interpolation: int = INTER_LINEAR) -> np.ndarray:
    width, height = int(dsize[0]), int(dsize[1])
    if width <= 0 or height <= 0 or image.size == 0:
        raise ValueError(f"resize: empty size {dsize} or image {image.shape}")
    if interpolation == INTER_LINEAR:
        return _resize_linear(image, width, height)
    if interpolation == INTER_AREA:
        h, w = image.shape[:2]
        if width > w or height > h:
            return _resize_linear(image, width, height)   # OpenCV: bilinear when enlarging
        return _resize_area(image, width, height)
    raise _unsupported("resize", f"interpolation={interpolation}")


# -- perspective crop ------------------------------------------------------------------

def getPerspectiveTransform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 homography mapping the four points of src on those of dst."""
    src = np.asarray(src, dtype=np.float64).reshape(4, 2)
    dst = np.asarray(dst, dtype=np.float64).reshape(4, 2)
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i, ((x, y), (u, v)) in enumerate(zip(src, dst, strict=True)):
        a[i] = [x, y, 1, 0, 0, 0, -x * u, -y * u]
        a[i + 4] = [0, 0, 0, x, y, 1, -x * v, -y * v]
        b[i], b[i + 4] = u, v
    return np.append(np.linalg.solve(a, b), 1.0).reshape(3, 3)


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """OpenCV's bicubic kernel (a = -0.75) for the four taps around each point."""
    a = -0.75
    w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
    w1 = ((a + 2) * t - (a + 3)) * t * t + 1
    w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
    return np.stack([w0, w1, w2, 1 - w0 - w1 - w2], axis=-1)


def warpPerspective(image: np.ndarray, matrix: np.ndarray, dsize: tuple[int, int], *,
                    flags: int = INTER_LINEAR, borderMode: int = BORDER_CONSTANT) -> np.ndarray:
    """The crop of a text line: each output pixel samples the source through the inverse
    of matrix, bicubic, the image's edge repeated outside it."""
    if flags != INTER_CUBIC or borderMode != BORDER_REPLICATE:
        raise _unsupported("warpPerspective", f"flags={flags}, borderMode={borderMode}")
    width, height = int(dsize[0]), int(dsize[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"warpPerspective: empty size {dsize}")
    inverse = np.linalg.inv(np.asarray(matrix, dtype=np.float64))
    if inverse[0, 1] == 0 and inverse[1, 0] == 0 and inverse[2, 0] == 0 and inverse[2, 1] == 0:
        out = _warp_scaled(image, inverse / inverse[2, 2], width, height)
    else:
        out = _warp_projective(image, inverse, width, height)
    return _as_uint8_like(out, image.dtype)


def _taps(coordinate: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The four source indices (edge repeated) and bicubic weights around each coordinate."""
    base = np.floor(coordinate)
    weights = _cubic_weights((coordinate - base).astype(np.float32))
    indices = np.clip(base.astype(np.int64)[..., None] + np.arange(-1, 3), 0, size - 1)
    return indices, weights


def _warp_scaled(image: np.ndarray, inverse: np.ndarray, width: int, height: int) -> np.ndarray:
    """An upright crop (scale and shift only): interpolated along rows, then columns."""
    h, w = image.shape[:2]
    cols, wx = _taps(inverse[0, 0] * np.arange(width) + inverse[0, 2], w)
    rows, wy = _taps(inverse[1, 1] * np.arange(height) + inverse[1, 2], h)
    top, bottom, left, right = int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
    band = image[top:bottom + 1, left:right + 1].astype(np.float32)
    cols = cols - left
    channels = (None,) * (image.ndim - 2)
    across = np.zeros((band.shape[0], width) + image.shape[2:], dtype=np.float32)
    for i in range(4):
        across += band[:, cols[:, i]] * wx[:, i][(None, slice(None), *channels)]
    out = np.zeros((height, width) + image.shape[2:], dtype=np.float32)
    for j in range(4):
        out += across[rows[:, j] - top] * wy[:, j][(slice(None), None, *channels)]
    return out


def _warp_projective(image: np.ndarray, inverse: np.ndarray, width: int, height: int) -> np.ndarray:
    xs = np.arange(width, dtype=np.float64)[None, :]
    ys = np.arange(height, dtype=np.float64)[:, None]
    depth = inverse[2, 0] * xs + inverse[2, 1] * ys + inverse[2, 2]
    sx = (inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]) / depth
    sy = (inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]) / depth
    h, w = image.shape[:2]
    x0, y0 = np.floor(sx), np.floor(sy)
    wx = _cubic_weights((sx - x0).astype(np.float32))
    wy = _cubic_weights((sy - y0).astype(np.float32))
    # the source cut to the crop's reach, flat, so that each tap is one 1-D gather
    x0i = np.clip(x0, -2, w + 1).astype(np.int64)
    y0i = np.clip(y0, -2, h + 1).astype(np.int64)
    top = min(max(int(y0i.min()) - 1, 0), h - 1)
    bottom = max(min(int(y0i.max()) + 2, h - 1), top)
    left = min(max(int(x0i.min()) - 1, 0), w - 1)
    right = max(min(int(x0i.max()) + 2, w - 1), left)
    src = image[top:bottom + 1, left:right + 1].astype(np.float32)
    flat = src.reshape((src.shape[0] * src.shape[1],) + image.shape[2:])
    channels = (None,) * (image.ndim - 2)
    cols = [np.clip(x0i + (i - 1), left, right) - left for i in range(4)]
    out = np.zeros((height, width) + image.shape[2:], dtype=np.float32)
    for j in range(4):
        row = (np.clip(y0i + (j - 1), top, bottom) - top) * src.shape[1]
        across = sum(np.take(flat, row + cols[i], axis=0) * wx[..., i][(..., *channels)] for i in range(4))
        out += across * wy[..., j][(..., *channels)]
    return out


def rotate(image: np.ndarray, code: int) -> np.ndarray:
    if code != ROTATE_180:
        raise _unsupported("rotate", code)
    return np.ascontiguousarray(image[::-1, ::-1])


# -- detector post-processing: dilation, polygon mask, masked mean -----------------------

def dilate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Dilation by the 2x2 kernel of rapidocr's DB post-processing (anchor at its
    bottom-right cell, as OpenCV centres an even kernel)."""
    if np.asarray(kernel).shape != (2, 2) or not np.all(np.asarray(kernel) == 1):
        raise _unsupported("dilate", f"kernel {np.asarray(kernel).tolist()}")
    out = image.copy()
    out[1:, :] = np.maximum(out[1:, :], image[:-1, :])
    out[:, 1:] = np.maximum(out[:, 1:], image[:, :-1])
    out[1:, 1:] = np.maximum(out[1:, 1:], image[:-1, :-1])
    return out


def _edge_pixels(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of a straight edge, one per step along its longer axis."""
    steps = int(max(abs(end[0] - start[0]), abs(end[1] - start[1])))
    t = np.linspace(0.0, 1.0, steps + 1)
    xs = np.ceil(start[0] + t * (end[0] - start[0]) - 0.5).astype(np.int64)
    ys = np.ceil(start[1] + t * (end[1] - start[1]) - 0.5).astype(np.int64)
    return xs, ys


def fillPoly(mask: np.ndarray, polygons: np.ndarray, color: int) -> np.ndarray:
    """Fills one polygon (integer vertices) into a 2-D uint8 mask: the pixels whose centre
    is inside, and, as OpenCV, every pixel its edges pass through."""
    from PIL import Image, ImageDraw

    polygons = np.asarray(polygons)
    if mask.ndim != 2 or mask.dtype != np.uint8 or polygons.ndim != 3 or polygons.shape[0] != 1:
        raise _unsupported("fillPoly", f"mask {mask.dtype} {mask.shape}, polygons {polygons.shape}")
    vertices = polygons[0].astype(np.int64)
    canvas = Image.new("L", (mask.shape[1], mask.shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([(int(x), int(y)) for x, y in vertices], fill=1)
    inside = np.asarray(canvas).copy()
    for start, end in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        xs, ys = _edge_pixels(start, end)
        keep = (xs >= 0) & (xs < mask.shape[1]) & (ys >= 0) & (ys < mask.shape[0])
        inside[ys[keep], xs[keep]] = 1
    mask[inside > 0] = color
    return mask


def mean(image: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """Per-channel mean where mask is set, as OpenCV's 4-tuple (0 for an empty mask)."""
    values = image if mask is None else image[np.asarray(mask) > 0]
    if values.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    channels = values.reshape(-1, image.shape[2] if image.ndim == 3 else 1).mean(axis=0, dtype=np.float64)
    padded = [float(c) for c in channels] + [0.0] * (4 - len(channels))
    return (padded[0], padded[1], padded[2], padded[3])


def findContours(image: np.ndarray, mode: int, method: int) -> tuple[list[np.ndarray], None]:
    """The regions' point sets (core.extract.contours: outer outlines only), no hierarchy."""
    if mode != RETR_LIST or method != CHAIN_APPROX_SIMPLE or image.ndim != 2:
        raise _unsupported("findContours", f"image {image.shape}, mode={mode}, method={method}")
    return contours.regions(image), None


minAreaRect = contours.min_area_rect
boxPoints = contours.box_points


# -- colour ------------------------------------------------------------------------------

def cvtColor(image: np.ndarray, code: int) -> np.ndarray:
    if code == COLOR_GRAY2BGR:
        grey = image if image.ndim == 2 else image[:, :, 0]
        return np.repeat(grey[:, :, None], 3, axis=2)
    if code == COLOR_BGRA2BGR:
        return np.ascontiguousarray(image[:, :, :3])
    if code == COLOR_RGB2BGR:
        return np.ascontiguousarray(image[:, :, ::-1])
    raise _unsupported("cvtColor", code)
