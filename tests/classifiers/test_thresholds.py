"""Choosing each head's review threshold on dev: the lowest score that keeps the target precision."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from classifiers.thresholds import REVIEW_ALL, choose_threshold, coverage_and_precision


def test_the_lowest_score_that_keeps_precision_is_chosen() -> None:
    outcomes = [(0.99, True), (0.95, True), (0.9, True), (0.8, True), (0.7, False), (0.6, True), (0.5, False)]
    # At 0.8: 4/4 right; at 0.6: 5/6 = 0.83 < 0.9; so 0.8 is the lowest cut at 90%.
    assert choose_threshold(outcomes, 0.9) == 0.8
    assert choose_threshold(outcomes, 0.8) == 0.6


def test_no_cut_reaching_the_target_means_everything_is_reviewed() -> None:
    assert choose_threshold([(1.0, False), (0.8, True), (0.3, False)], 0.9) == REVIEW_ALL
    assert choose_threshold([], 0.9) == REVIEW_ALL
    assert coverage_and_precision([(1.0, False)], REVIEW_ALL) == (0.0, None)


def test_equal_scores_are_trusted_or_reviewed_together() -> None:
    # Cutting inside the 0.7 tie would trust only some of the equal scores; the cut stays above it.
    outcomes = [(0.9, True), (0.7, True), (0.7, False), (0.7, False)]
    assert choose_threshold(outcomes, 0.9) == 0.9


def test_coverage_and_precision_at_a_threshold() -> None:
    outcomes = [(0.9, True), (0.8, False), (0.4, True), (0.2, False)]
    assert coverage_and_precision(outcomes, 0.5) == (0.5, 0.5)
    assert coverage_and_precision(outcomes, 0.95) == (0.0, None)


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), max_size=60), st.floats(0.5, 1.0))
def test_the_chosen_cut_always_meets_the_target_or_trusts_nothing(
    outcomes: list[tuple[float, bool]], target: float
) -> None:
    threshold = choose_threshold(outcomes, target)
    _coverage, precision = coverage_and_precision(outcomes, threshold)
    assert threshold == REVIEW_ALL or (precision is not None and precision >= target)
