"""Complainants' windows that lapse conclude the stage; unacknowledged corporate complaints reach the CRT."""

from __future__ import annotations

from collections.abc import Callable

from jobs_support import CRT_EMAIL, Sent, london
from sqlalchemy import select

from feedback.application import Application
from jobs.acknowledgements import flag_unacknowledged
from jobs.context import JobContext
from jobs.windows import conclude_lapsed_windows
from store.access import find_case
from store.db import transaction
from store.models import AuditEvent, Clock

Run = Callable[..., int]
Outbox = Callable[[], list[Sent]]


def _window(app: Application, reference: str) -> Clock:
    with transaction(app.sessions) as session:
        case = find_case(session, reference)
        assert case is not None
        return session.scalars(select(Clock).where(Clock.case_id == case.id, Clock.kind == "request_window")).one()


def _actions(app: Application, reference: str) -> list[tuple[str, dict[str, object]]]:
    with transaction(app.sessions) as session:
        case = find_case(session, reference)
        assert case is not None
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
        return [(event.action, event.detail) for event in events]


def test_a_lapsed_window_concludes_the_stage_once_without_writing_to_the_citizen(
    app: Application, new_case: Callable[..., str], act: Callable[..., None], run: Run, outbox: Outbox
) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response")
    act("close", reference, london(2026, 3, 3))  # the window: 20 working days, to Tuesday 31 March
    mail_before = len(outbox())

    assert run(conclude_lapsed_windows, london(2026, 3, 31, 23, 0)) == 0  # still open on its last day
    assert run(conclude_lapsed_windows, london(2026, 4, 1, 0, 30)) == 1  # any hour: it sends staff nothing
    assert run(conclude_lapsed_windows, london(2026, 4, 2)) == 0

    window = _window(app, reference)
    assert (window.due_on.isoformat(), window.stopped_on and window.stopped_on.isoformat()) == (
        "2026-03-31",
        "2026-04-01",
    )
    assert ("case.stage_concluded", {"stage": 1, "window_due_on": "2026-03-31"}) in _actions(app, reference)
    assert len(outbox()) == mail_before
    # A request after the window is still allowed, and still recorded as late.
    act("escalate", reference, london(2026, 4, 2))
    escalated = [detail for action, detail in _actions(app, reference) if action == "case.escalated"]
    assert escalated == [{"stage": 2, "late_request": True}]


def test_a_lapsed_window_can_be_told_to_the_complainant_when_configured(
    new_case: Callable[..., str], act: Callable[..., None], run: Run, outbox: Outbox, ctx: JobContext
) -> None:
    telling = JobContext(
        service=ctx.service,
        jobs=ctx.jobs.model_copy(update={"notify_complainant_on_lapse": True}),
        mail=ctx.mail,
        public_url=ctx.public_url,
        crt_team=ctx.crt_team,
    )
    reference = new_case("corporate", london(2026, 3, 2, 9, 30), team="school_admissions")
    act("close", reference, london(2026, 3, 3))
    run(conclude_lapsed_windows, london(2026, 4, 2), context=telling)
    run(conclude_lapsed_windows, london(2026, 4, 3), context=telling)
    told = [mail for mail in outbox() if mail.kind == "window_lapsed"]
    assert [(mail.to, mail.subject) for mail in told] == [
        ("jo.bloggs@example.org", f"[{reference}] Your complaint is concluded")
    ]


def test_a_reopened_case_has_no_window_to_lapse(
    app: Application, new_case: Callable[..., str], act: Callable[..., None], run: Run
) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response")
    act("close", reference, london(2026, 3, 3))
    act("reopen", reference, london(2026, 3, 4))
    assert run(conclude_lapsed_windows, london(2026, 4, 10)) == 0


def test_an_unacknowledged_corporate_complaint_is_flagged_to_the_crt_once(
    new_case: Callable[..., str], act: Callable[..., None], run: Run, outbox: Outbox
) -> None:
    # Received Monday 2 March: to be acknowledged by Monday 9 March (5 working days).
    late = new_case("corporate", london(2026, 3, 2, 9, 30), team="school_admissions")
    on_time = new_case("corporate", london(2026, 3, 2, 9, 40), team="school_admissions")
    act("acknowledge", on_time, london(2026, 3, 6))
    before = len(outbox())

    assert run(flag_unacknowledged, london(2026, 3, 9, 16)) == 0  # due today: not late yet
    assert run(flag_unacknowledged, london(2026, 3, 10, 7)) == 0  # late, but before working hours
    assert run(flag_unacknowledged, london(2026, 3, 10, 9, 15)) == 1
    assert run(flag_unacknowledged, london(2026, 3, 11)) == 0

    flagged = outbox()[before:]
    assert [(mail.kind, mail.to) for mail in flagged] == [("escalation", CRT_EMAIL)]
    assert flagged[0].subject == (
        f"[{late}] Not acknowledged: the acknowledgement was due Monday 9 March 2026, 1 working day ago"
    )
