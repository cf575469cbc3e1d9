"""Which deadlines a stage sets, and when each falls: the procedures' timescales turned into dates.

Pure arithmetic over a `WorkingCalendar` and the `ProcedurePolicy`; the case service stores the results as
`Clock` rows. Kinds of clock:
- `acknowledge` — corporate stages: acknowledge the complaint;
- `respond` — the stage's response (corporate: provisional until acknowledged, then counted from then);
- `panel`, `panel_report`, `council_response` — statutory stage 3's three steps;
- `request_window` — the complainant's time to ask for the next stage after a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from store.policy import Procedure, ProcedurePolicy, ResponseTimescale
from store.workdays import WorkingCalendar

# Clocks whose deadline is a reply the citizen is waiting for: the case's "due" date is the running one.
RESPONSE_KINDS: Final = frozenset({"respond", "panel", "panel_report", "council_response"})


@dataclass(frozen=True)
class ClockPlan:
    kind: str
    started_on: date
    due_on: date
    limit_on: date


class ClockPlanner:
    def __init__(self, calendar: WorkingCalendar, policy: ProcedurePolicy) -> None:
        self.calendar = calendar
        self.policy = policy

    def stage_clocks(self, procedure: Procedure, stage: int, start_on: date) -> list[ClockPlan]:
        """The clocks a stage starts with, counted from receipt (stage 1) or the request (stages 2 and 3)."""
        if procedure == "feedback":
            return [self._plan("respond", start_on, self.policy.feedback.response_days)]
        if procedure == "statutory":
            if stage == 3:
                return [self._plan("panel", start_on, self.policy.statutory.stage3.panel_days)]
            timescale = self.policy.statutory.stage1 if stage == 1 else self.policy.statutory.stage2
            return [self._plan("respond", start_on, timescale.response_days, timescale.limit_days)]
        return self._corporate_stage(self._corporate_timescale(stage), start_on)

    def after_acknowledgement(self, stage: int, acknowledged_on: date) -> ClockPlan:
        """Corporate: the response clock restarts from the acknowledgement."""
        timescale = self._corporate_timescale(stage)
        return self._plan("respond", acknowledged_on, timescale.response_days, timescale.limit_days)

    def panel_report(self, panel_held_on: date) -> ClockPlan:
        return self._plan("panel_report", panel_held_on, self.policy.statutory.stage3.report_days)

    def council_response(self, report_received_on: date) -> ClockPlan:
        days = self.policy.statutory.stage3.council_response_days
        return self._plan("council_response", report_received_on, days)

    def request_window(self, procedure: Procedure, responded_on: date) -> ClockPlan:
        days = (
            self.policy.statutory.request_window_days
            if procedure == "statutory"
            else self.policy.corporate.request_window_days
        )
        return self._plan("request_window", responded_on, days)

    def _corporate_stage(self, timescale: ResponseTimescale, start_on: date) -> list[ClockPlan]:
        # Until the complaint is acknowledged, the response is due as if acknowledged on the last allowed day:
        # the latest date the complainant can be told, replaced by the real one at acknowledgement.
        assert timescale.acknowledge_days is not None  # guaranteed by CorporatePolicy's validator
        acknowledge = self._plan("acknowledge", start_on, timescale.acknowledge_days)
        respond = self._plan("respond", acknowledge.due_on, timescale.response_days, timescale.limit_days)
        return [acknowledge, ClockPlan("respond", start_on, respond.due_on, respond.limit_on)]

    def _corporate_timescale(self, stage: int) -> ResponseTimescale:
        return self.policy.corporate.stage1 if stage == 1 else self.policy.corporate.stage2

    def _plan(self, kind: str, start_on: date, days: int, limit_days: int | None = None) -> ClockPlan:
        due_on = self.calendar.add_working_days(start_on, days)
        limit_on = self.calendar.add_working_days(start_on, limit_days) if limit_days else due_on
        return ClockPlan(kind, start_on, due_on, limit_on)
