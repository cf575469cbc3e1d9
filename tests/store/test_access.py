"""Staff reads: the CRT sees every case, a team its own; every read and every refusal is audited."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from feedback.application import Application
from store.access import CaseFilter, case_for_staff, find_case, list_cases, visible_case
from store.actors import Actor
from store.db import transaction
from store.errors import CaseNotFound, NotAllowed
from store.models import Case
from store.service import CaseService, Closing

OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]
Audit = Callable[[str | None], list[Any]]
StaffOf = Callable[[str], Actor]


@pytest.fixture
def admissions_case(service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor) -> str:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=None, reason=None)
    return reference


# --- reading one case --------------------------------------------------------------------------------------


def test_the_owning_team_reads_its_case_and_the_read_is_audited(
    app: Application, admissions_case: str, admissions: Actor, audit_of: Audit
) -> None:
    with transaction(app.sessions) as session:
        case = case_for_staff(session, admissions_case, admissions)
        assert case.reference == admissions_case

    viewed = audit_of(admissions_case)[-1]
    assert (viewed.action, viewed.actor) == ("case.viewed", "lee.khan@council.example")


def test_the_crt_reads_every_case(app: Application, admissions_case: str, crt: Actor, audit_of: Audit) -> None:
    with transaction(app.sessions) as session:
        assert case_for_staff(session, admissions_case.lower().replace("-", " "), crt).reference == admissions_case
    assert audit_of(admissions_case)[-1].action == "case.viewed"


def test_another_teams_case_is_not_found_and_the_attempt_is_audited(
    app: Application, admissions_case: str, staff: StaffOf, audit_of: Audit
) -> None:
    sendar = staff("robin.shaw@council.example")

    # The API answers 404 and still commits the unit of work, so the refusal stays on record.
    with transaction(app.sessions) as session:
        with pytest.raises(CaseNotFound, match="that you can see") as refused:
            case_for_staff(session, admissions_case, sendar)
        assert admissions_case in str(refused.value)
        assert visible_case(session, admissions_case, sendar) is None

    refusals = [event for event in audit_of(admissions_case) if event.action == "case.view_refused"]
    assert len(refusals) == 2
    assert all(event.actor == "robin.shaw@council.example" for event in refusals)
    assert refusals[0].detail == {"reference": admissions_case}
    assert "case.viewed" not in [event.action for event in audit_of(admissions_case)]


def test_a_refused_read_and_a_missing_case_look_the_same(
    app: Application, admissions_case: str, staff: StaffOf, audit_of: Audit
) -> None:
    sendar = staff("robin.shaw@council.example")
    missing = "FB-0000-0000"
    with transaction(app.sessions) as session:
        with pytest.raises(CaseNotFound) as hidden:
            case_for_staff(session, admissions_case, sendar)
        with pytest.raises(CaseNotFound) as absent:
            case_for_staff(session, missing, sendar)
        with pytest.raises(CaseNotFound):
            case_for_staff(session, "not a reference at all " * 5, sendar)

    assert str(hidden.value).replace(admissions_case, "REF") == str(absent.value).replace(missing, "REF")
    # Only the audit trail tells them apart: the refused read names the case.
    unattached = [(event.action, event.detail) for event in audit_of(None)]
    assert unattached == [
        ("case.view_refused", {"reference": missing}),
        ("case.view_refused", {"reference": ("not a reference at all " * 5)[:40]}),
    ]


def test_a_refusal_inside_a_failed_unit_of_work_rolls_back_with_it(
    app: Application, admissions_case: str, staff: StaffOf, audit_of: Audit
) -> None:
    """Why `visible_case` exists: raising out of the transaction discards the refusal's audit event."""
    sendar = staff("robin.shaw@council.example")
    with pytest.raises(CaseNotFound), transaction(app.sessions) as session:
        case_for_staff(session, admissions_case, sendar)
    assert [event.action for event in audit_of(admissions_case)][-1] != "case.view_refused"


def test_only_staff_read_cases(app: Application, admissions_case: str, audit_of: Audit) -> None:
    for outsider in (Actor.channel("web_chat"), Actor.system("scheduler"), Actor(name="citizen")):
        with pytest.raises(NotAllowed, match="only staff"), transaction(app.sessions) as session:
            case_for_staff(session, admissions_case, outsider)
        with pytest.raises(NotAllowed, match="only staff"), transaction(app.sessions) as session:
            list_cases(session, outsider, CaseFilter())


def test_find_case_forgives_typing_and_refuses_bad_check_symbols(app: Application, admissions_case: str) -> None:
    wrong_check = admissions_case[:-1] + ("1" if admissions_case[-1] != "1" else "2")
    with transaction(app.sessions) as session:
        found = find_case(session, f" [{admissions_case.lower()}] ")
        assert found is not None and found.reference == admissions_case
        assert find_case(session, wrong_check) is None
        assert find_case(session, "hello") is None


# --- listing -----------------------------------------------------------------------------------------------


@pytest.fixture
def caseload(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    clock: Any,
) -> dict[str, str]:
    """Four cases: two for School Admissions (one closed), one for Children's Initial Response, one still with
    the CRT for review."""
    admissions = open_case("corporate")  # due Mon 23 Mar
    cir = open_case("statutory")  # due Mon 16 Mar
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    review = open_case("question")  # due Tue 17 Mar
    closed = open_case("corporate")
    for reference, team in (
        (admissions, "school_admissions"),
        (cir, "childrens_initial_response"),
        (closed, "school_admissions"),
    ):
        with work_on(reference) as (session, case):
            service.assign(session, case, crt, team_id=team, staff_id=None, reason=None)
            case.needs_review = False
    with work_on(closed) as (session, case):
        service.close(session, case, crt, closing())
    return {"admissions": admissions, "cir": cir, "review": review, "closed": closed}


def listed(app: Application, actor: Actor, **wanted: Any) -> tuple[list[str], int]:
    with transaction(app.sessions) as session:
        cases, total = list_cases(session, actor, CaseFilter(**wanted))
        return [case.reference for case in cases], total


def test_a_team_lists_only_its_own_cases(app: Application, caseload: dict[str, str], admissions: Actor) -> None:
    assert listed(app, admissions) == ([caseload["admissions"], caseload["closed"]], 2)
    # Asking for another team's cases does not widen the view.
    assert listed(app, admissions, team_id="childrens_initial_response") == ([], 0)


def test_the_crt_lists_every_case_soonest_due_first(app: Application, caseload: dict[str, str], crt: Actor) -> None:
    everything = [caseload["cir"], caseload["review"], caseload["admissions"], caseload["closed"]]
    assert listed(app, crt) == (everything, 4)  # the closed case has no due date: last
    assert listed(app, crt, team_id="school_admissions") == ([caseload["admissions"], caseload["closed"]], 2)


def test_list_filters_and_pages(app: Application, caseload: dict[str, str], crt: Actor) -> None:
    assert listed(app, crt, status="closed") == ([caseload["closed"]], 1)
    assert listed(app, crt, needs_review=True) == ([caseload["review"]], 1)
    # Overdue on Tue 17 Mar: open and due before that day.
    assert listed(app, crt, overdue_on=date(2026, 3, 17)) == ([caseload["cir"]], 1)
    assert listed(app, crt, overdue_on=date(2026, 3, 24)) == (
        [caseload["cir"], caseload["review"], caseload["admissions"]],
        3,
    )
    assert listed(app, crt, limit=2, offset=1) == ([caseload["review"], caseload["admissions"]], 4)


def test_listing_is_audited_with_the_filter_and_count(
    app: Application, caseload: dict[str, str], admissions: Actor, audit_of: Audit
) -> None:
    listed(app, admissions, status="open")

    event = audit_of(None)[-1]
    assert (event.action, event.actor) == ("cases.listed", "lee.khan@council.example")
    assert event.detail == {"filter": {"status": "open", "limit": "50", "offset": "0"}, "count": 1}
