"""The report's arithmetic, on cases small enough to check by hand."""

from __future__ import annotations

import pytest

from classifiers.metrics import calibration, confusion, macro_f1, per_label

LABELS = ("a", "b", "c")
GOLD = ["a", "a", "b", "b", "c"]
PRED = ["a", "b", "b", "b", "a"]


def test_per_label_precision_recall_f1() -> None:
    scores = per_label(GOLD, PRED, LABELS)
    assert scores["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert scores["b"]["precision"] == pytest.approx(2 / 3) and scores["b"]["recall"] == 1.0
    assert scores["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_macro_f1_averages_labels_present_in_gold() -> None:
    assert macro_f1(GOLD, PRED, LABELS) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert macro_f1(["a"], ["a"], LABELS) == 1.0


def test_confusion_rows_are_gold() -> None:
    assert confusion(GOLD, PRED, LABELS) == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_calibration_bands_count_every_prediction_once() -> None:
    rows = calibration(GOLD, PRED, [0.3, 0.55, 0.99, 1.0, 0.91])
    assert sum(row["count"] for row in rows) == 5
    top = rows[-1]
    assert top["band"] == "0.95-1.00" and top["count"] == 2 and top["accuracy"] == 1.0
