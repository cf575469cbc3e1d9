"""Rules that run beside the models: the safeguarding phrase rule and the area gazetteer.

Neither is learned. A child at risk must reach Children's Initial Response whatever a model thinks, and the
area Children's Team is a matter of geography, not of wording; both lists live in `config.yml` so the
council can change them without retraining.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

_SEPARATORS = re.compile(r"[\s\-‐-―_/]+")
_APOSTROPHES = re.compile(r"[’‘`´]")


def normalise(text: str) -> str:
    """Lowercase, accents and curly quotes folded, hyphens and runs of space made one space.

    Both sides of a match go through this, so "Stratford-upon-Avon", "stratford upon avon" and
    "STRATFORD UPON\\nAVON" are the same place, and "can’t" matches "can't".
    """
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _APOSTROPHES.sub("'", folded.casefold())
    return _SEPARATORS.sub(" ", folded).strip()


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One alternation of whole-word phrases, longest first so the longest phrase is the one reported."""
    cleaned = sorted({normalise(phrase) for phrase in phrases if normalise(phrase)}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(phrase) for phrase in cleaned)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])")


class SafeguardingRule:
    """Phrases that suggest a child is at risk of harm; any one of them makes the case urgent.

    Deliberately a plain list: a false alarm costs a duty worker a minute, a miss can cost a child.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self._pattern = _phrase_pattern(phrases)

    def matches(self, text: str) -> list[str]:
        """The distinct phrases found in `text`, in the order they first appear (empty: no concern)."""
        if self._pattern is None:
            return []
        found = [match.group(0) for match in self._pattern.finditer(normalise(text))]
        return list(dict.fromkeys(found))


class Gazetteer:
    """Place names (towns, villages, postcode districts) per area team id.

    `area_for` answers only when the text points at one area: a message naming places in two areas
    equally often is left for the CRT to route by hand rather than guessed.
    """

    def __init__(self, places: Mapping[str, Iterable[str]]) -> None:
        self._area_of: dict[str, str] = {}
        for area, names in places.items():
            for name in names:
                key = normalise(name)
                if key in self._area_of and self._area_of[key] != area:
                    raise ValueError(f"place {name!r} is listed for both {self._area_of[key]} and {area}")
                self._area_of[key] = area
        self._pattern = _phrase_pattern(self._area_of)

    def area_for(self, text: str) -> str | None:
        """The one area the text's place names point to, or None (no place named, or a tie)."""
        if self._pattern is None:
            return None
        votes = Counter(self._area_of[match.group(0)] for match in self._pattern.finditer(normalise(text)))
        if not votes:
            return None
        (first, first_count), *rest = votes.most_common(2)
        if rest and rest[0][1] == first_count:
            return None
        return first
