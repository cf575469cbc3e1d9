"""Every clock the procedures set, driven through the case service with real dates.

Expected dates are counted by hand (comments show the count) with England's 2026 bank holidays in mind:
Good Friday 3 Apr, Easter Monday 6 Apr, early May 4 May, spring 25 May, Christmas Fri 25 Dec and the
substitute Boxing Day Mon 28 Dec, New Year's Day Fri 1 Jan 2027.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from store.actors import Actor
from store.errors import Conflict
from store.models import Case
from store.service import CaseService, Closing

OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]
Clocks = Callable[[str], list[Any]]
Running = Callable[[str], dict[str, Any]]
SetToday = Callable[[date], None]

REASON = "Complainant asked for the stage to be reviewed."


def due_on(work_on: WorkOn, reference: str) -> date | None:
    with work_on(reference) as (_, case):
        return case.due_on


# --- statutory stage 1 --------------------------------------------------------------------------------


def test_statutory_stage1_is_due_in_10_working_days_extendable_to_20(
    open_case: OpenCase, running_clocks: Running, work_on: WorkOn
) -> None:
    reference = open_case("statutory")  # received Mon 2 Mar 2026

    respond = running_clocks(reference)["respond"]
    assert (respond.stage, respond.started_on) == (1, date(2026, 3, 2))
    # Mon 2 Mar + two working weeks = Mon 16 Mar; + four = Mon 30 Mar.
    assert respond.due_on == date(2026, 3, 16)
    assert respond.limit_on == date(2026, 3, 30)
    assert set(running_clocks(reference)) == {"respond"}  # no acknowledgement clock in the statutory procedure
    assert due_on(work_on, reference) == date(2026, 3, 16)


def test_statutory_stage1_straddling_easter(open_case: OpenCase, running_clocks: Running) -> None:
    reference = open_case("statutory", received_at=datetime(2026, 3, 26, 14, 0, tzinfo=UTC))  # Thu

    respond = running_clocks(reference)["respond"]
    # Fri 27, Mon 30, Tue 31 Mar, Wed 1, Thu 2 Apr (5); Good Friday and Easter Monday skipped;
    # Tue 7 - Fri 10 (9); Mon 13 Apr (10).
    assert respond.due_on == date(2026, 4, 13)
    # Tue 14 - Fri 17 (14), Mon 20 - Fri 24 (19), Mon 27 Apr (20).
    assert respond.limit_on == date(2026, 4, 27)


def test_receipt_is_counted_on_its_london_day(open_case: OpenCase, running_clocks: Running) -> None:
    # 23:30 UTC on Mon 1 June is 00:30 on Tue 2 June in London (summer time).
    reference = open_case("statutory", received_at=datetime(2026, 6, 1, 23, 30, tzinfo=UTC))

    respond = running_clocks(reference)["respond"]
    assert respond.started_on == date(2026, 6, 2)
    assert respond.due_on == date(2026, 6, 16)  # Tue 2 Jun + 10 working days


def test_statutory_stage1_extension_up_to_the_limit(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, running_clocks: Running
) -> None:
    reference = open_case("statutory")  # due Mon 16 Mar, limit Mon 30 Mar

    with work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=10, reason=REASON)

    assert running_clocks(reference)["respond"].due_on == date(2026, 3, 30)
    assert due_on(work_on, reference) == date(2026, 3, 30)
    with pytest.raises(Conflict, match="2026-03-30"), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=1, reason=REASON)


# --- after a stage response: the complainant's window to ask for the next stage ----------------------------


def test_closing_statutory_stage1_opens_a_20_working_day_request_window_over_easter(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    clocks_of: Clocks,
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 13))  # Fri

    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())

    respond, window = clocks_of(reference)
    assert (respond.kind, respond.met_on) == ("respond", date(2026, 3, 13))
    assert (window.kind, window.stage, window.started_on) == ("request_window", 1, date(2026, 3, 13))
    # Mon 16 - Fri 27 Mar (10), Mon 30 Mar - Thu 2 Apr (14), Easter skipped, Tue 7 - Fri 10 (18),
    # Mon 13 (19), Tue 14 Apr (20).
    assert window.due_on == date(2026, 4, 14)
    assert window.running
    assert due_on(work_on, reference) is None  # nothing is owed to the complainant while the window runs


# --- statutory stage 2 -------------------------------------------------------------------------------------


def test_statutory_stage2_is_due_in_25_working_days_extendable_to_65(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    clocks_of: Clocks,
    running_clocks: Running,
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 13))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    set_today(date(2026, 4, 14))  # the window's last day
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 4, 14), reason=REASON)

    respond = running_clocks(reference)["respond"]
    assert (respond.stage, respond.started_on) == (2, date(2026, 4, 14))
    # Wed 15 Apr - Fri 1 May (13), early May bank holiday skipped, Tue 5 - Wed 20 May (25).
    assert respond.due_on == date(2026, 5, 20)
    # ... Thu 21, Fri 22 (27), spring bank holiday 25 May skipped, Tue 26 May - Thu 16 Jul (65).
    assert respond.limit_on == date(2026, 7, 16)
    window = next(clock for clock in clocks_of(reference) if clock.kind == "request_window")
    assert window.stopped_on == date(2026, 4, 14)
    assert due_on(work_on, reference) == date(2026, 5, 20)

    # 40 working days on from Wed 20 May is exactly the limit; a day more is refused.
    with work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=40, reason=REASON)
    assert due_on(work_on, reference) == date(2026, 7, 16)
    with pytest.raises(Conflict, match="2026-07-16"), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=1, reason=REASON)


# --- statutory stage 3 -------------------------------------------------------------------------------------


def test_statutory_stage3_panel_report_and_council_response_over_christmas(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    clocks_of: Clocks,
    running_clocks: Running,
) -> None:
    set_today(date(2026, 10, 12))
    reference = open_case("statutory")
    set_today(date(2026, 11, 16))
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 11, 2), reason=REASON)
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 11, 16), reason=REASON)

    panel = running_clocks(reference)["panel"]
    assert (panel.stage, panel.started_on) == (3, date(2026, 11, 16))
    # Tue 17 Nov - Fri 18 Dec (24), Mon 21 - Thu 24 (28), Christmas and Mon 28 skipped, Tue 29, Wed 30 Dec (30).
    assert panel.due_on == date(2026, 12, 30)
    assert due_on(work_on, reference) == date(2026, 12, 30)

    set_today(date(2026, 12, 17))
    with work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 12, 17))  # Thu
    report = running_clocks(reference)["panel_report"]
    # Fri 18, Mon 21, Tue 22, Wed 23, Thu 24 Dec.
    assert (report.started_on, report.due_on) == (date(2026, 12, 17), date(2026, 12, 24))
    assert due_on(work_on, reference) == date(2026, 12, 24)

    set_today(date(2026, 12, 22))
    with work_on(reference) as (session, case):
        service.record_panel_report(session, case, crt, received_on=date(2026, 12, 22))  # Tue
    response = running_clocks(reference)["council_response"]
    # Wed 23, Thu 24 (2), Tue 29 - Thu 31 (5), New Year's Day skipped, Mon 4 - Fri 8 Jan (10), Mon 11 - Fri 15 (15).
    assert response.due_on == date(2027, 1, 15)
    assert due_on(work_on, reference) == date(2027, 1, 15)
    met = {clock.kind: clock.met_on for clock in clocks_of(reference) if clock.stage == 3}
    assert met == {"panel": date(2026, 12, 17), "panel_report": date(2026, 12, 22), "council_response": None}

    set_today(date(2027, 1, 12))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    # Stage 3 is the last: no window opens and nothing is due.
    assert running_clocks(reference) == {}
    assert due_on(work_on, reference) is None


# --- corporate stage 1 -------------------------------------------------------------------------------------


def test_corporate_stage1_response_is_provisional_until_acknowledged(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, admissions: Actor, running_clocks: Running
) -> None:
    reference = open_case("corporate")  # received Mon 2 Mar 2026

    clocks = running_clocks(reference)
    assert clocks["acknowledge"].due_on == date(2026, 3, 9)  # Mon 2 + 5 working days
    # Provisional: 10 working days after the acknowledgement deadline (Mon 9 -> Mon 23 Mar),
    # extendable by 10 (Mon 9 Mar + 20 = Wed 8 Apr, over Easter).
    respond = clocks["respond"]
    assert (respond.started_on, respond.due_on, respond.limit_on) == (
        date(2026, 3, 2),
        date(2026, 3, 23),
        date(2026, 4, 8),
    )
    assert due_on(work_on, reference) == date(2026, 3, 23)


def test_corporate_stage1_response_counts_from_the_acknowledgement(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    set_today: SetToday,
    clocks_of: Clocks,
    running_clocks: Running,
) -> None:
    reference = open_case("corporate")
    set_today(date(2026, 3, 4))  # Wed

    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)
        assert case.acknowledged_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

    acknowledge = next(clock for clock in clocks_of(reference) if clock.kind == "acknowledge")
    assert acknowledge.met_on == date(2026, 3, 4)
    respond = running_clocks(reference)["respond"]
    # Wed 4 + 10 = Wed 18 Mar; extendable by 10 to Wed 1 Apr.
    assert (respond.started_on, respond.due_on, respond.limit_on) == (
        date(2026, 3, 4),
        date(2026, 3, 18),
        date(2026, 4, 1),
    )
    assert due_on(work_on, reference) == date(2026, 3, 18)

    with work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=10, reason=REASON)
    assert due_on(work_on, reference) == date(2026, 4, 1)
    with pytest.raises(Conflict, match="2026-04-01"), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=1, reason=REASON)


def test_corporate_stage1_over_christmas(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, set_today: SetToday, running_clocks: Running
) -> None:
    set_today(date(2026, 12, 16))  # Wed
    reference = open_case("corporate")

    clocks = running_clocks(reference)
    assert clocks["acknowledge"].due_on == date(2026, 12, 23)  # Thu 17 - Wed 23 Dec
    # From Wed 23 Dec: Thu 24 (1), 25 and 28 skipped, Tue 29 - Thu 31 (4), 1 Jan skipped, Mon 4 - Fri 8 (9),
    # Mon 11 Jan 2027 (10); the limit, 20, is Mon 25 Jan 2027.
    assert (clocks["respond"].due_on, clocks["respond"].limit_on) == (date(2027, 1, 11), date(2027, 1, 25))

    set_today(date(2026, 12, 18))  # Fri
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)
    respond = running_clocks(reference)["respond"]
    # Mon 21 - Thu 24 (4), Tue 29 - Thu 31 (7), Mon 4 - Wed 6 Jan (10); limit Wed 20 Jan 2027.
    assert (respond.due_on, respond.limit_on) == (date(2027, 1, 6), date(2027, 1, 20))


def test_extended_corporate_response_is_not_rebased_by_a_later_acknowledgement(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, set_today: SetToday, running_clocks: Running
) -> None:
    reference = open_case("corporate")  # provisional response Mon 23 Mar, limit Wed 8 Apr
    with work_on(reference) as (session, case):
        extension = service.extend(session, case, crt, working_days=5, reason=REASON)
        assert (extension.previous_due_on, extension.new_due_on) == (date(2026, 3, 23), date(2026, 3, 30))

    set_today(date(2026, 3, 4))
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)

    # Without the extension this would now be Wed 18 Mar; the date staff gave the complainant stands.
    respond = running_clocks(reference)["respond"]
    assert (respond.due_on, respond.limit_on) == (date(2026, 3, 30), date(2026, 4, 8))
    assert "acknowledge" not in running_clocks(reference)
    assert due_on(work_on, reference) == date(2026, 3, 30)


# --- corporate stage 2 -------------------------------------------------------------------------------------


def test_corporate_stage2_acknowledge_in_5_respond_in_20_extendable_by_20(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    clocks_of: Clocks,
    running_clocks: Running,
) -> None:
    reference = open_case("corporate")
    set_today(date(2026, 3, 4))
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)
    set_today(date(2026, 3, 18))  # Wed
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    window = running_clocks(reference)["request_window"]
    # Thu 19 Mar - Thu 2 Apr (11), Easter skipped, Tue 7 - Fri 10 (15), Mon 13 - Fri 17 Apr (20).
    assert window.due_on == date(2026, 4, 17)

    set_today(date(2026, 3, 23))  # Mon
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 23), reason=REASON)
    clocks = running_clocks(reference)
    assert {clock.stage for clock in clocks.values()} == {2}
    assert clocks["acknowledge"].due_on == date(2026, 3, 30)  # Tue 24 - Mon 30 Mar
    # Provisional: Mon 30 Mar + 20 = Wed 29 Apr (Easter skipped); limit + 40 = Fri 29 May (two May holidays).
    assert (clocks["respond"].due_on, clocks["respond"].limit_on) == (date(2026, 4, 29), date(2026, 5, 29))

    set_today(date(2026, 3, 26))  # Thu
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)
    respond = running_clocks(reference)["respond"]
    # Fri 27 Mar - Thu 2 Apr (5), Tue 7 - Fri 10 (9), ... Mon 27 Apr (20); limit Wed 27 May (40).
    assert (respond.started_on, respond.due_on, respond.limit_on) == (
        date(2026, 3, 26),
        date(2026, 4, 27),
        date(2026, 5, 27),
    )
    assert due_on(work_on, reference) == date(2026, 4, 27)

    set_today(date(2026, 4, 24))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    # Corporate stage 2 is the last stage: after it the complainant goes to the Ombudsman, so no window.
    assert running_clocks(reference) == {}
    assert [clock.kind for clock in clocks_of(reference)].count("request_window") == 1


# --- questions, comments and compliments -------------------------------------------------------------------


@pytest.mark.parametrize("case_type", ["question", "comment", "compliment"])
def test_feedback_is_due_in_10_working_days_and_cannot_be_extended(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, running_clocks: Running, case_type: str
) -> None:
    reference = open_case("question", case_type=case_type)

    respond = running_clocks(reference)["respond"]
    assert (respond.due_on, respond.limit_on) == (date(2026, 3, 16), date(2026, 3, 16))
    with pytest.raises(Conflict, match="2026-03-16"), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=1, reason=REASON)


def test_feedback_received_on_a_saturday_before_christmas(
    open_case: OpenCase, set_today: SetToday, running_clocks: Running, work_on: WorkOn
) -> None:
    set_today(date(2026, 12, 12))  # Sat
    reference = open_case("question")

    respond = running_clocks(reference)["respond"]
    # The count starts on Mon 14 Dec: Mon 14 - Thu 24 (9), 25 and 28 skipped, Tue 29 Dec (10).
    assert (respond.started_on, respond.due_on) == (date(2026, 12, 12), date(2026, 12, 29))
    assert due_on(work_on, reference) == date(2026, 12, 29)


# --- reopening and changing procedure ----------------------------------------------------------------------


def test_reopening_resumes_the_stage_clock_where_it_stood(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    clocks_of: Clocks,
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 6))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    set_today(date(2026, 3, 9))
    with work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="Closed by mistake before the reply went out.")

    respond, window = clocks_of(reference)
    assert respond.running and respond.due_on == date(2026, 3, 16)
    assert window.kind == "request_window" and window.stopped_on == date(2026, 3, 6)
    assert due_on(work_on, reference) == date(2026, 3, 16)


def test_changing_procedure_restarts_the_clocks_from_receipt(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, set_today: SetToday, clocks_of: Clocks
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 5))

    with work_on(reference) as (session, case):
        service.change_procedure(
            session, case, crt, procedure="corporate", reason="Raised by the carer, not the child."
        )

    old, acknowledge, respond = clocks_of(reference)
    assert (old.kind, old.stopped_on) == ("respond", date(2026, 3, 5))
    assert (acknowledge.kind, acknowledge.started_on, acknowledge.due_on) == (
        "acknowledge",
        date(2026, 3, 2),
        date(2026, 3, 9),
    )
    assert (respond.kind, respond.due_on, respond.limit_on) == ("respond", date(2026, 3, 23), date(2026, 4, 8))
    assert due_on(work_on, reference) == date(2026, 3, 23)


def test_regression_reopening_resumes_only_the_clock_the_closure_met(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    running_clocks: Running,
) -> None:
    """Bug: reopening resumed every response clock met on the closing day, so a stage 3 case closed on the day
    its panel report was recorded got the already-met report clock back, and its due date went back to it."""
    set_today(date(2026, 11, 16))
    reference = open_case("statutory")
    for _ in range(2):
        with work_on(reference) as (session, case):
            service.escalate(session, case, crt, requested_on=date(2026, 11, 16), reason=REASON)
    set_today(date(2026, 12, 22))
    with work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 12, 17))
    with work_on(reference) as (session, case):
        service.record_panel_report(session, case, crt, received_on=date(2026, 12, 22))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    set_today(date(2026, 12, 23))

    with work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="The council's response was sent to the wrong address.")

    assert set(running_clocks(reference)) == {"council_response"}
    assert due_on(work_on, reference) == date(2027, 1, 15)


def test_regression_a_procedure_change_keeps_the_real_acknowledgement_date(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    set_today: SetToday,
    clocks_of: Clocks,
    running_clocks: Running,
) -> None:
    """Bug: restarting the stage's clocks under the corporate procedure re-acknowledged the case on the day of
    the change, so the response clock counted from then instead of from the real acknowledgement."""
    reference = open_case("statutory")  # Mon 2 Mar
    set_today(date(2026, 3, 4))
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)
    set_today(date(2026, 3, 16))

    with work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="corporate", reason="Raised by the carer herself.")

    acknowledge = next(clock for clock in clocks_of(reference) if clock.kind == "acknowledge")
    assert acknowledge.met_on == date(2026, 3, 4)
    respond = running_clocks(reference)["respond"]
    # Wed 4 Mar + 10 = Wed 18 Mar; limit + 20 = Wed 1 Apr.
    assert (respond.started_on, respond.due_on, respond.limit_on) == (
        date(2026, 3, 4),
        date(2026, 3, 18),
        date(2026, 4, 1),
    )
