"""A case's stages and their clocks as rows: entering, acknowledging, concluding, resuming, leaving.

`store.clocks` computes dates; this module keeps `Clock` and `StageEntry` rows in step with the case.
Clocks are never deleted or reused: a deadline that stops applying is stopped, so the reminder jobs that
key their sends on a clock's id never see it change into another deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.clocks import RESPONSE_KINDS, ClockPlan, ClockPlanner
from store.errors import Conflict, InvalidRequest
from store.models import Case, Clock, Extension, StageEntry, utcnow
from store.policy import PROCEDURES, Procedure
from store.workdays import london_date


class StageClocks:
    def __init__(self, planner: ClockPlanner) -> None:
        self.planner = planner

    def enter_stage(self, session: Session, case: Case, stage: int, start_on: date) -> None:
        session.add(StageEntry(case_id=case.id, stage=stage, procedure=case.procedure, requested_on=start_on))
        self._start(session, case, self.planner.stage_clocks(procedure_of(case), stage, start_on))

    def restart_stage(self, session: Session, case: Case, today: date) -> None:
        """The procedure changed: stop the stage's clocks and start the new procedure's from the stage's start."""
        entry = self._current_entry(session, case)
        self._stop(case, today, lambda clock: clock.stage == case.stage)
        entry.procedure = case.procedure
        self._start(session, case, self.planner.stage_clocks(procedure_of(case), case.stage, entry.requested_on))
        if case.acknowledged_at is not None and case.stage == 1:
            # The complainant was acknowledged on that day, whatever the procedure: count from it, not from today.
            self.acknowledge(session, case, london_date(case.acknowledged_at))

    def acknowledge(self, session: Session, case: Case, on: date) -> None:
        """Meet the acknowledgement clock; a corporate response clock then counts from the acknowledgement."""
        acknowledgement = self._running(case, "acknowledge")
        if acknowledgement is None:
            return
        acknowledgement.met_on = on
        respond = self._running(case, "respond")
        # A deadline staff have already extended stays where they put it.
        if respond is not None and not session.scalar(select(Extension.id).where(Extension.clock_id == respond.id)):
            plan = self.planner.after_acknowledgement(case.stage, on)
            respond.started_on, respond.due_on, respond.limit_on = plan.started_on, plan.due_on, plan.limit_on

    def running_response(self, case: Case) -> Clock | None:
        running = [clock for clock in case.clocks if clock.running and clock.kind in RESPONSE_KINDS]
        return min(running, key=lambda clock: clock.due_on, default=None)

    def conclude_stage(self, session: Session, case: Case, today: date) -> None:
        """The stage's response was given: meet its clocks and, if another stage exists, open the window."""
        for clock in case.clocks:
            if clock.running and clock.stage == case.stage:
                clock.met_on = today
        self._current_entry(session, case).concluded_at = utcnow()
        procedure = procedure_of(case)
        if case.type == "complaint" and case.stage < self.planner.policy.last_stage(procedure):
            self._start(session, case, [self.planner.request_window(procedure, today)])

    def resume_stage(self, session: Session, case: Case) -> None:
        """Reopening: the response clock met at closure runs again, and the escalation window no longer applies."""
        closed_on = max((c.met_on for c in case.clocks if c.stage == case.stage and c.met_on), default=None)
        for clock in case.clocks:
            if clock.kind == "request_window" and clock.running:
                clock.stopped_on = closed_on
        # One response clock runs at a time (stage 3's steps follow each other), so the closure met the stage's
        # latest; an earlier step met on the same day was met by its own step, and stays met.
        responses = [c for c in case.clocks if c.stage == case.stage and c.kind in RESPONSE_KINDS]
        if responses and responses[-1].met_on == closed_on:
            responses[-1].met_on = None
        self._current_entry(session, case).concluded_at = None

    def leave_stage(self, session: Session, case: Case, today: date) -> None:
        """Escalation: whatever of the old stage still runs stops (a complainant need not wait for it)."""
        self._stop(case, today, lambda clock: True)
        entry = self._current_entry(session, case)
        if entry.concluded_at is None:
            entry.concluded_at = utcnow()

    def request_lapsed(self, case: Case, requested_on: date) -> bool:
        """Whether the request came after the complainant's window closed (allowed, but recorded).

        Only the running window counts, or one the scheduled jobs closed after it lapsed (stopped after its due
        date): one that reopening withdrew (stopped by its due date) no longer sets a deadline.
        """
        windows = [
            clock
            for clock in case.clocks
            if clock.kind == "request_window"
            and clock.stage == case.stage
            and (clock.running or (clock.stopped_on is not None and clock.stopped_on > clock.due_on))
        ]
        return bool(windows) and requested_on > windows[-1].due_on

    def advance_panel(self, session: Session, case: Case, step: str, on: date) -> None:
        clock = self._running(case, step)
        if clock is None:
            raise Conflict(f"stage 3 is not waiting for the {step.replace('_', ' ')}")
        if on < clock.started_on:
            raise InvalidRequest(f"that date is before the {step.replace('_', ' ')} clock started")
        clock.met_on = on
        plan = self.planner.panel_report(on) if step == "panel" else self.planner.council_response(on)
        self._start(session, case, [plan])

    def _start(self, session: Session, case: Case, plans: list[ClockPlan]) -> None:
        for plan in plans:
            clock = Clock(
                case_id=case.id,
                stage=case.stage,
                kind=plan.kind,
                started_on=plan.started_on,
                due_on=plan.due_on,
                limit_on=plan.limit_on,
            )
            case.clocks.append(clock)
            session.add(clock)

    def _stop(self, case: Case, today: date, which: Callable[[Clock], bool]) -> None:
        for clock in case.clocks:
            if clock.running and which(clock):
                clock.stopped_on = today

    def _running(self, case: Case, kind: str) -> Clock | None:
        found = [clock for clock in case.clocks if clock.running and clock.kind == kind and clock.stage == case.stage]
        return found[-1] if found else None

    def _current_entry(self, session: Session, case: Case) -> StageEntry:
        entry = session.scalars(
            select(StageEntry)
            .where(StageEntry.case_id == case.id, StageEntry.stage == case.stage)
            .order_by(StageEntry.id.desc())
        ).first()
        assert entry is not None, "every stage a case is in has an entry"
        return entry


def procedure_of(case: Case) -> Procedure:
    """The case's procedure with its type narrowed (the column holds only PROCEDURES' values)."""
    assert case.procedure in PROCEDURES
    return case.procedure  # type: ignore[return-value]
