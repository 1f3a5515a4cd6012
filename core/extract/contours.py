"""Text regions of the detector's binary map and their minimum-area rectangles, in numpy:
what rapidocr's DB post-processing asks of cv2.findContours, cv2.minAreaRect and
cv2.boxPoints (core.extract.imageops gives them to it under those names).

rapidocr only ever turns a contour into its minimum-area rectangle, and the minimum-area
rectangle of a region's outline is that of the convex hull of its pixels. So a "contour"
here is the set of the first and last pixel of each run of a region (8-connected, as
OpenCV follows outlines), whose hull is the region's. The outlines of holes, which
RETR_LIST also lists, are left out: a hole lies inside its region's rectangle, and
rapidocr would only add a second, overlapping box for it.
"""

from __future__ import annotations

import numpy as np


def _runs(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, first column and end column (exclusive) of every run of set pixels, in
    row-major order."""
    padded = np.zeros((binary.shape[0], binary.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = binary != 0
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)
    return rows, starts, ends


def _links(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of runs on neighbouring rows that touch, diagonals included."""
    stride = width + 2
    start_key = rows * stride + starts
    end_key = rows * stride + ends
    below = (rows + 1) * stride
    first = np.searchsorted(end_key, below + starts, side="left")
    last = np.searchsorted(start_key, below + ends, side="right")
    counts = np.maximum(last - first, 0)
    upper = np.repeat(np.arange(rows.size), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    lower = np.repeat(first, counts) + offsets
    return upper, lower


def _labels(count: int, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(upper.tolist(), lower.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(i) for i in range(count)], dtype=np.int64)


def regions(binary: np.ndarray) -> list[np.ndarray]:
    """One point set per 8-connected region of non-zero pixels (see the module's notes),
    each an int32 array of shape (n, 1, 2) of (x, y), regions in order of their first
    pixel (top to bottom, left to right)."""
    rows, starts, ends = _runs(binary)
    if rows.size == 0:
        return []
    labels = _labels(rows.size, *_links(rows, starts, ends, binary.shape[1]))
    order = np.argsort(labels, kind="stable")
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    contours = []
    for group in np.split(order, boundaries):
        xs = np.concatenate([starts[group], ends[group] - 1])
        ys = np.concatenate([rows[group], rows[group]])
        contours.append(np.stack([xs, ys], axis=1).astype(np.int32).reshape(-1, 1, 2))
    return contours


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain), counter-clockwise, without repeated points."""
    unique = np.unique(points, axis=0)
    if len(unique) <= 2:
        return unique

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    pts = [tuple(p) for p in unique.tolist()]
    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def min_area_rect(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float], float]:
    """((centre x, centre y), (width, height), angle in degrees) of the smallest rectangle
    around the points: one of its sides lies on an edge of their convex hull (rotating
    calipers); width is measured along the angle's direction."""
    hull = _hull(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    if len(hull) == 1:
        return (float(hull[0, 0]), float(hull[0, 1])), (0.0, 0.0), 0.0
    edges = np.roll(hull, -1, axis=0) - hull
    angles = np.arctan2(edges[:, 1], edges[:, 0])
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    along = hull[None, :, 0] * cos + hull[None, :, 1] * sin        # (edges, points)
    across = -hull[None, :, 0] * sin + hull[None, :, 1] * cos
    widths = along.max(axis=1) - along.min(axis=1)
    heights = across.max(axis=1) - across.min(axis=1)
    best = int(np.argmin(widths * heights))
    c, s = float(cos[best, 0]), float(sin[best, 0])
    mid_along = (along[best].max() + along[best].min()) / 2
    mid_across = (across[best].max() + across[best].min()) / 2
    centre = (mid_along * c - mid_across * s, mid_along * s + mid_across * c)
    return (float(centre[0]), float(centre[1])), (float(widths[best]), float(heights[best])), \
        float(np.degrees(angles[best]))


def box_points(rect: tuple[tuple[float, float], tuple[float, float], float]) -> np.ndarray:
    """The four corners of a rectangle from min_area_rect, float32 (4, 2)."""
    (cx, cy), (w, h), angle = rect
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    half_w, half_h = np.array([c, s]) * w / 2, np.array([-s, c]) * h / 2
    centre = np.array([cx, cy])
    return np.array([centre - half_w + half_h, centre - half_w - half_h,
                     centre + half_w - half_h, centre + half_w + half_h], dtype=np.float32)
