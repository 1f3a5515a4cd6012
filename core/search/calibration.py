"""The calibration behind search's floor and scores, for the default model
(all-MiniLM-L6-v2), measured by ``bench/calibrate_scores.py`` (fp32 vectors):

- STSb dev + test, 2,879 sentence pairs scored 0..5 by people: the share of pairs scored 2
  or more ("share some details") is under 5 % for cosines below 0.25, 14 % in [0.25,
  0.30), 19 % in [0.30, 0.35), 23 % in [0.35, 0.40) and half at 0.45-0.50.
- SciFact test (300 queries, their relevant abstracts and 1,000 others): relevant pairs
  reach cosine 0.191 / 0.242 / 0.298 / 0.354 / 0.590 at their 1st / 2nd / 5th / 10th /
  50th percentile; unrelated pairs 0.099 / 0.255 / 0.395 at their median / 90th / 99th.
- Nonsense queries: the best cosine of "zz" is 0.312 over SciFact abstracts and 0.335 over
  the shared corpus's papers (a table of dates and place names); "xkcd blorp" 0.289.

FLOOR 0.35: below it a query/passage pair is rarely related (at most one STSb pair in
five scored 2 or more, an unrelated SciFact pair reaches it more often than a relevant
one does below it), and it is above what nonsense queries reach. It costs the 10 % least
similar relevant SciFact pairs in a meaning-only search, which sit under many unrelated
ones anyway; hybrid search still finds them by their words. NEAR and RELATED are the
similar-paragraph thresholds (core/dupes/mining.py: MRPC and STSb), the top of the scale
and the "same topic" edge.
"""

from __future__ import annotations

from core.dupes.mining import DEFAULT_NEAR, DEFAULT_RELATED

FLOOR = 0.35
NEAR = DEFAULT_NEAR
RELATED = DEFAULT_RELATED
