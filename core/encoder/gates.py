"""Quality gates for a fast (int8) export, against the fp32 torch encoder of the same model.

- mean cosine between the two encoders' vectors of the same texts >= 0.99;
- STS Spearman (x100) within 0.5 of the fp32 figure;
- (in tests and benchmarks, with the shared data) SciFact nDCG@10 within 0.5 of fp32.

When an export is made on a user's machine, the texts are the ones shipped with the
application: the STS Benchmark dev pairs in resources/sts-dev.tsv (short sentences) and
paragraphs of up to ~200 words joined from them, so long sequences are checked too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.evaluation.stats import cosine_rows, spearman
from core.evaluation.sts import StsData

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SHIPPED_STS = RESOURCES / "sts-dev.tsv"


@dataclass(frozen=True)
class GateSpec:
    min_cosine: float = 0.99
    max_sts_drop: float = 0.5      # Spearman x100
    max_ndcg_drop: float = 0.5     # nDCG@10 x100


@dataclass
class GateReport:
    cosine_mean: float
    cosine_min: float
    texts: int
    sts_fp32: float | None = None
    sts_fast: float | None = None
    passed: bool = False
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        parts = [f"mean cosine to fp32 {self.cosine_mean:.4f} (min {self.cosine_min:.4f}) on {self.texts} texts"]
        if self.sts_fp32 is not None and self.sts_fast is not None:
            parts.append(f"STS Spearman {self.sts_fast:.2f} vs fp32 {self.sts_fp32:.2f}")
        verdict = "passed" if self.passed else "failed: " + "; ".join(self.failures)
        return ", ".join(parts) + f" -> {verdict}"


def read_shipped_sts(limit: int | None = None) -> StsData:
    """The shipped STS dev pairs (``score<TAB>sentence1<TAB>sentence2``, # comments)."""
    s1: list[str] = []
    s2: list[str] = []
    scores: list[float] = []
    for line in SHIPPED_STS.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 3:
            continue
        try:
            score = float(fields[0])
        except ValueError:
            continue   # the header
        s1.append(fields[1])
        s2.append(fields[2])
        scores.append(score)
        if limit is not None and len(scores) >= limit:
            break
    return StsData(s1, s2, np.asarray(scores, dtype=np.float64))


def paragraphs_from(sentences: list[str], count: int, words: int = 200) -> list[str]:
    """Long texts for the gate: consecutive sentences joined up to ``words`` words."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        current.append(sentence)
        size += len(sentence.split())
        if size >= words:
            out.append(" ".join(current))
            current, size = [], 0
            if len(out) >= count:
                break
    return out


def sts_spearman(encoder: Any, data: StsData, batch_size: int = 32) -> float:
    unique = list(dict.fromkeys(data.sentences1 + data.sentences2))
    where = {s: i for i, s in enumerate(unique)}
    vectors = encoder.encode(unique, batch_size=batch_size)
    cos = cosine_rows(vectors[[where[s] for s in data.sentences1]], vectors[[where[s] for s in data.sentences2]])
    return 100.0 * spearman(cos, data.scores)


def check_gates(fast: Any, reference: Any, sts: StsData, extra_texts: list[str] = (),  # type: ignore[assignment]
                spec: GateSpec | None = None) -> GateReport:
    """Cosine on the STS sentences (and ``extra_texts``), STS Spearman against fp32."""
    spec = spec or GateSpec()
    texts = list(dict.fromkeys(sts.sentences1 + sts.sentences2)) + list(extra_texts)
    fast_vecs = fast.encode(texts, batch_size=32)
    ref_vecs = reference.encode(texts, batch_size=32)
    cos = cosine_rows(fast_vecs, ref_vecs)
    report = GateReport(float(cos.mean()), float(cos.min()), len(texts))
    where = {s: i for i, s in enumerate(texts)}
    if len(sts):
        i1 = [where[s] for s in sts.sentences1]
        i2 = [where[s] for s in sts.sentences2]
        report.sts_fast = 100.0 * spearman(cosine_rows(fast_vecs[i1], fast_vecs[i2]), sts.scores)
        report.sts_fp32 = 100.0 * spearman(cosine_rows(ref_vecs[i1], ref_vecs[i2]), sts.scores)
    if report.cosine_mean < spec.min_cosine:
        report.failures.append(f"mean cosine {report.cosine_mean:.4f} < {spec.min_cosine}")
    if report.sts_fast is not None and report.sts_fp32 is not None \
            and report.sts_fp32 - report.sts_fast > spec.max_sts_drop:
        report.failures.append(
            f"STS Spearman {report.sts_fast:.2f} is more than {spec.max_sts_drop} below fp32 {report.sts_fp32:.2f}")
    report.passed = not report.failures
    return report


def shipped_gate(fast: Any, reference: Any, spec: GateSpec | None = None,
                 pairs: int = 400, paragraphs: int = 32) -> GateReport:
    """The gate run when an export is made on a user's machine (shipped texts only)."""
    sts = read_shipped_sts()
    head = StsData(sts.sentences1[:pairs], sts.sentences2[:pairs], sts.scores[:pairs])
    long_texts = paragraphs_from(sts.sentences1[pairs:] + sts.sentences2[pairs:], paragraphs)
    return check_gates(fast, reference, head, long_texts, spec)
