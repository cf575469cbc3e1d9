"""Per-head review thresholds, chosen on the dev split.

A suggestion scoring at or above its head's threshold is trusted enough that the CRT only confirms it;
below, the case is marked "needs review". The threshold is the lowest score at which the dev split's
suggestions reach the target precision, so as many cases as possible are trusted without dropping below it.
"""

from __future__ import annotations

from collections.abc import Sequence

TARGET_PRECISION = 0.90
# Above every possible score (scores are in [0, 1]): nothing is trusted, every suggestion is reviewed.
REVIEW_ALL = 1.01


def choose_threshold(outcomes: Sequence[tuple[float, bool]], target_precision: float = TARGET_PRECISION) -> float:
    """The lowest score whose suggestions at or above it are right at least `target_precision` of the time.

    `outcomes` are (score, was the suggestion right) pairs from the dev split. When no cut reaches the
    target, the answer is REVIEW_ALL: every suggestion of that head asks for review, the honest default.
    """
    ranked = sorted(outcomes, key=lambda outcome: outcome[0], reverse=True)
    best = REVIEW_ALL
    right = 0
    for count, (score, correct) in enumerate(ranked, start=1):
        right += correct
        # Only cut between distinct scores: equal scores are all trusted or all reviewed.
        next_score = ranked[count][0] if count < len(ranked) else None
        if next_score == score:
            continue
        if right / count >= target_precision:
            best = score
    return best


def coverage_and_precision(outcomes: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float | None]:
    """Share of suggestions at or above `threshold`, and how often those were right (None if there are none)."""
    trusted = [correct for score, correct in outcomes if score >= threshold]
    coverage = len(trusted) / len(outcomes) if outcomes else 0.0
    precision = sum(trusted) / len(trusted) if trusted else None
    return coverage, precision
