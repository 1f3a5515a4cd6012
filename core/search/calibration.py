"""The calibration behind search's floor and scores (issue 30), for the default model
(all-MiniLM-L6-v2). Measured by ``bench/calibrate_scores.py``; see its output there.

PROVISIONAL: replaced by the measured figures below.
"""

from __future__ import annotations

from core.dupes.mining import DEFAULT_NEAR, DEFAULT_RELATED

FLOOR = 0.30
NEAR = DEFAULT_NEAR
RELATED = DEFAULT_RELATED
