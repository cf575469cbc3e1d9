"""Scores for one exclusive head: pure functions over gold labels, predicted labels and their scores.

Kept apart from spaCy so the same numbers serve model selection on dev and the report on test.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

CALIBRATION_BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


def per_label(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for each label; an undefined ratio counts as 0."""
    result: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        n_pred = sum(1 for p in predicted if p == label)
        n_gold = sum(1 for g in gold if g == label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {"precision": precision, "recall": recall, "f1": f1, "support": n_gold}
    return result


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean F1 over the labels that occur in gold, so a rare label counts as much as a common one."""
    scores = per_label(gold, predicted, labels)
    present = [label for label in labels if scores[label]["support"]]
    return sum(scores[label]["f1"] for label in present) / len(present) if present else 0.0


def confusion(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predicted labels, both in `labels` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def calibration(gold: Sequence[str], predicted: Sequence[str], scores: Sequence[float]) -> list[dict[str, Any]]:
    """Accuracy within bands of the top score: tells the CRT how far a score of 0.8 can be trusted."""
    rows: list[dict[str, Any]] = []
    bands = list(itertools.pairwise(CALIBRATION_BANDS))
    for i, (low, high) in enumerate(bands):
        last = i == len(bands) - 1
        members = [
            g == p for g, p, s in zip(gold, predicted, scores, strict=True) if low <= s < high or (last and s == high)
        ]
        in_band = [s for s in scores if low <= s < high or (last and s == high)]
        rows.append(
            {
                "band": f"{low:.2f}-{high:.2f}",
                "count": len(members),
                "accuracy": sum(members) / len(members) if members else None,
                "mean_score": sum(in_band) / len(in_band) if in_band else None,
            }
        )
    return rows
