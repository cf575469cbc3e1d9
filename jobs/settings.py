"""The `jobs:` section of config.yml: when reminders go, and how often each job runs.

Validated with the rest of the configuration (feedback.settings): a bad value stops start-up naming its key.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(_Section):
    """Staff mail from the jobs goes only on working days between these times (Europe/London)."""

    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DigestSettings(_Section):
    weekday: Weekday = "mon"
    at: time = time(8, 0)
    # Longest-overdue cases listed in the managers' digest, and cases listed per section in a team's.
    longest_overdue: int = Field(10, ge=1, le=100)
    list_limit: int = Field(25, ge=1, le=500)


class SimulationSettings(_Section):
    """Tests only: time starts at `start` and runs `speed` times faster, and every job runs each `tick_seconds`."""

    start: datetime
    speed: float = Field(1.0, gt=0, le=1_000_000)
    tick_seconds: float = Field(1.0, gt=0, le=3600)
    # The real moment at which simulated time is `start` (default: when the process starts), so several
    # processes, or one restarted, share one simulated timeline.
    anchor: datetime | None = None

    @field_validator("start", "anchor")
    @classmethod
    def _aware(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("give the time with its zone, e.g. 2026-03-02T08:00:00+00:00")
        return moment


class JobsSettings(_Section):
    working_hours: WorkingHours = WorkingHours()
    # Working days before a deadline on which its owner is reminded; 0 is the due day itself.
    reminder_days: tuple[int, ...] = Field((3, 0), min_length=1)
    # How often the deadline scans (reminders, windows, acknowledgements) run; each sends only what is due now.
    scan_every_minutes: int = Field(15, ge=1, le=24 * 60)
    outbox_every_seconds: int = Field(30, ge=1, le=3600)
    digest: DigestSettings = DigestSettings()
    # Tell the complainant when their window to ask for the next stage closes (the stage is concluded).
    notify_complainant_on_lapse: bool = False
    # A run missed while the scheduler was down still runs once (coalesced) if no later than this; the jobs
    # are state-based, so the next run catches up anyway.
    misfire_grace_seconds: int = Field(24 * 3600, ge=1)
    jobstore_table: str = Field("apscheduler_jobs", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    simulation: SimulationSettings | None = None

    @field_validator("reminder_days")
    @classmethod
    def _distinct(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 0 or day > 60 for day in days):
            raise ValueError("each reminder day must be between 0 and 60 working days before the deadline")
        if len(set(days)) != len(days):
            raise ValueError("each reminder day must appear once")
        return tuple(sorted(days, reverse=True))
