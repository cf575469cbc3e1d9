"""Helpers shared by the jobs' tests (fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.workdays import LONDON

CRT_EMAIL = "customerrelations@council.example"


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@dataclass(frozen=True)
class Sent:
    kind: str
    to: str
    subject: str
    key: str
    text: str
