"""The case service's rules: opening, the procedure decision, extending, closing, reopening, escalating,
assigning, changing procedure, who may do what, and the audit trail every change leaves.

Dates are in `test_clocks.py`; here they appear only where a rule depends on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.application import Application
from store.access import find_case
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.directory import sync_directory
from store.errors import Conflict, InvalidRequest, NotAllowed
from store.models import Assignment, Case, Closure, Contact, Extension, Message, Staff, StageEntry
from store.service import MAX_TEXT_CHARS, CaseService, Closing

OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]
Audit = Callable[[str | None], list[Any]]
SetToday = Callable[[date], None]
StaffOf = Callable[[str], Actor]

REASON = "The complainant asked for more time to send documents."
REFERENCE_FORMAT = re.compile(r"^FB-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$")


def staff_id(app: Application, email: str) -> int:
    with transaction(app.sessions) as session:
        found = session.scalar(select(Staff.id).where(Staff.email == email))
        assert found is not None
        return found


def count(app: Application, model: type[Any]) -> int:
    with transaction(app.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def cases(app: Application, *references: str) -> list[Case]:
    """The cases, read in one transaction (SQLite allows one writer, so units of work must not nest)."""
    with transaction(app.sessions) as session:
        found = [find_case(session, reference) for reference in references]
        assert all(found)
        return [case for case in found if case is not None]


def actions(audit_of: Audit, reference: str) -> list[str]:
    return [event.action for event in audit_of(reference)]


# --- opening a case ----------------------------------------------------------------------------------------


def test_open_makes_a_stage1_case_with_a_readable_reference_message_and_audit_event(
    app: Application, open_case: OpenCase, work_on: WorkOn, audit_of: Audit
) -> None:
    reference = open_case("corporate", subject="School place", message_id="<m1@example.org>")

    assert REFERENCE_FORMAT.fullmatch(reference), reference
    with work_on(reference) as (session, case):
        assert (case.type, case.procedure, case.stage, case.status) == ("complaint", "corporate", 1, "open")
        assert case.owner_team_id == "crt"  # the CRT reviews every new case first
        assert case.needs_review is True
        assert case.received_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        message = session.scalars(select(Message).where(Message.case_id == case.id)).one()
        assert (message.direction, message.channel, message.author) == ("in", "email", "jo.bloggs@example.org")
        assert (message.subject, message.message_id) == ("School place", "<m1@example.org>")
        stage = session.scalars(select(StageEntry).where(StageEntry.case_id == case.id)).one()
        assert (stage.stage, stage.procedure, stage.requested_on) == (1, "corporate", date(2026, 3, 2))
    [opened] = audit_of(reference)
    assert (opened.action, opened.actor) == ("case.opened", "channel:email")
    assert opened.detail == {"channel": "email", "type": "complaint", "procedure": "corporate"}


def test_references_are_unique(open_case: OpenCase) -> None:
    references = {open_case("question") for _ in range(20)}
    assert len(references) == 20


def test_one_citizen_is_one_contact_whatever_case_they_type_their_email_in(
    app: Application, open_case: OpenCase, work_on: WorkOn
) -> None:
    first = open_case("question", contact=ContactDetails(email="Jo.Bloggs@Example.ORG"))
    second = open_case("corporate", contact=ContactDetails(name="Jo Bloggs", email="  jo.bloggs@example.org "))

    one, other = cases(app, first, second)
    assert one.contact_id is not None
    assert one.contact_id == other.contact_id
    with transaction(app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.email, contact.name) == ("jo.bloggs@example.org", "Jo Bloggs")  # the gap is filled


def test_one_citizen_is_one_contact_whichever_way_they_write_their_phone_number(
    app: Application, open_case: OpenCase, work_on: WorkOn
) -> None:
    first = open_case("question", channel="phone", contact=ContactDetails(phone="+44 7700 900123"))
    second = open_case("statutory", channel="phone", contact=ContactDetails(phone="07700 900 123"))

    one, other = cases(app, first, second)
    assert one.contact_id is not None
    assert one.contact_id == other.contact_id
    assert count(app, Contact) == 1


@pytest.mark.parametrize("contact", [None, ContactDetails(), ContactDetails(name="A parent", email="  ")])
def test_anonymous_case_has_no_contact(
    app: Application, open_case: OpenCase, work_on: WorkOn, contact: ContactDetails | None
) -> None:
    reference = open_case("corporate", contact=contact)

    with work_on(reference) as (_, case):
        assert case.contact_id is None
    assert count(app, Contact) == 0


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"channel": "fax"}, "channel must be one of"),
        ({"case_type": "grumble"}, "type must be one of"),
        ({"complainant_role": "neighbour"}, "complainant_role must be one of"),
        ({"service": "parks"}, "unknown service 'parks'"),
        ({"text": ""}, "between 1 and 100000 characters"),
        ({"text": " \n\t "}, "between 1 and 100000 characters"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "between 1 and 100000 characters"),
        ({"received_at": datetime(2026, 3, 2, 9, 30)}, "time zone"),
    ],
)
def test_open_refuses_a_bad_request_and_writes_nothing(
    app: Application, open_case: OpenCase, override: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(words)):
        open_case("corporate", **override)

    assert count(app, Case) == 0
    assert count(app, Contact) == 0


def test_open_accepts_text_of_exactly_the_maximum_length(open_case: OpenCase, work_on: WorkOn) -> None:
    reference = open_case("question", text="x" * MAX_TEXT_CHARS)
    with work_on(reference) as (session, case):
        assert len(session.scalars(select(Message.body).where(Message.case_id == case.id)).one()) == MAX_TEXT_CHARS


def test_an_untyped_case_runs_as_a_complaint_until_reviewed(open_case: OpenCase, work_on: WorkOn) -> None:
    reference = open_case("untyped")

    with work_on(reference) as (_, case):
        assert case.type == "complaint"
        assert case.procedure == "corporate"  # no service known yet: not a statutory one
        assert case.needs_review is True
        assert case.due_on == date(2026, 3, 23)  # the corporate clock, not a question's


def test_child_consent_is_kept_only_for_someone_writing_on_a_childs_behalf(
    app: Application, open_case: OpenCase
) -> None:
    for_child = open_case("statutory", complainant_role="parent_carer", on_behalf_of_child=True, child_consents=True)
    for_self = open_case("corporate", child_consents=True)

    one, other = cases(app, for_child, for_self)
    assert one.child_consents is True
    assert other.child_consents is None


# --- which procedure ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_type", "about", "role", "on_behalf", "procedure"),
    [
        *[
            ("complaint", about, "young_person", False, "statutory")
            for about in (
                "childrens_initial_response",
                "childrens_team",
                "fostering",
                "adoption",
                "disabled_children",
                "leaving_care",
            )
        ],
        ("complaint", "childrens_team", "parent_carer", True, "statutory"),
        ("complaint", "leaving_care", "professional", True, "statutory"),
        # A foster carer complaining for themselves (say, about their allowance) is not a child's complaint.
        ("complaint", "fostering", "foster_carer", False, "corporate"),
        ("complaint", "childrens_team", "parent_carer", False, "corporate"),
        ("complaint", "school_admissions", "young_person", False, "corporate"),
        ("complaint", "school_admissions", "parent_carer", True, "corporate"),
        ("complaint", "early_help", "young_person", False, "corporate"),
        ("complaint", None, "young_person", False, "corporate"),
        ("question", "childrens_initial_response", "young_person", False, "feedback"),
        ("comment", "fostering", "parent_carer", True, "feedback"),
        ("compliment", "leaving_care", "young_person", False, "feedback"),
    ],
)
def test_procedure_decision(
    open_case: OpenCase,
    work_on: WorkOn,
    case_type: str,
    about: str | None,
    role: str,
    on_behalf: bool,
    procedure: str,
) -> None:
    reference = open_case(
        "corporate", case_type=case_type, service=about, complainant_role=role, on_behalf_of_child=on_behalf
    )
    with work_on(reference) as (_, case):
        assert case.procedure == procedure


# --- extending ---------------------------------------------------------------------------------------------


def test_extend_writes_an_extension_moves_the_due_date_and_audits(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, audit_of: Audit
) -> None:
    reference = open_case("statutory")  # due Mon 16 Mar

    with work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=5, reason=f"  {REASON}  ")

    with work_on(reference) as (session, case):
        assert case.due_on == date(2026, 3, 23)
        extension = session.scalars(select(Extension)).one()
        assert (extension.previous_due_on, extension.new_due_on) == (date(2026, 3, 16), date(2026, 3, 23))
        assert (extension.reason, extension.extended_by) == (REASON, "alex.morgan@council.example")
        assert extension.extended_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    extended = audit_of(reference)[-1]
    assert (extended.action, extended.detail) == ("case.extended", {"clock": "respond", "new_due_on": "2026-03-23"})


@pytest.mark.parametrize(("reason", "days"), [("", 5), ("too short", 5), ("          ", 5), (REASON, 0)])
def test_extend_needs_a_reason_of_ten_characters_and_a_working_day(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, reason: str, days: int
) -> None:
    reference = open_case("statutory")
    words = "at least 10 characters" if days else "at least one working day"

    with pytest.raises(InvalidRequest, match=words), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=days, reason=reason)
    assert count(app, Extension) == 0


def test_extend_past_the_limit_names_the_procedure_and_the_limit(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")  # due Mon 16 Mar, limit Mon 30 Mar

    with pytest.raises(Conflict) as refused, work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=11, reason=REASON)

    message = str(refused.value)
    assert "statutory procedure" in message
    assert "2026-03-30 at the latest" in message
    assert "2026-03-31" in message  # where 11 working days would have taken it
    assert count(app, Extension) == 0
    with work_on(reference) as (_, case):
        assert case.due_on == date(2026, 3, 16)


def test_a_closed_case_cannot_be_extended(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, closing: Callable[..., Closing]
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())

    with pytest.raises(Conflict, match="closed"), work_on(reference) as (session, case):
        service.extend(session, case, crt, working_days=1, reason=REASON)


# --- closing -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"outcome": None}, "needs an outcome"),
        ({"outcome": "resolved"}, "needs an outcome"),
        ({"remedies": ()}, "at least one remedy"),
        ({"remedies": ("apology", "a_hug")}, "unknown remedies ['a_hug']"),
        ({"lessons_learned": ""}, "lessons learned"),
        ({"lessons_learned": "  none    "}, "lessons learned"),
        ({"lesson_theme": "other"}, "lesson_theme must be one of"),
    ],
)
def test_a_complaint_cannot_close_without_outcome_remedy_and_lesson(
    app: Application,
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    override: dict[str, Any],
    words: str,
) -> None:
    reference = open_case("statutory")

    with pytest.raises(InvalidRequest, match=re.escape(words)), work_on(reference) as (session, case):
        service.close(session, case, crt, closing(**override))

    assert count(app, Closure) == 0
    with work_on(reference) as (_, case):
        assert case.status == "open"


def test_closing_a_complaint_records_the_closure_and_opens_the_request_window(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")

    with work_on(reference) as (session, case):
        service.close(
            session, case, crt, closing(remedies=("apology", "apology", "service_provided"), summary="Visits restored")
        )

    with work_on(reference) as (session, case):
        assert (case.status, case.closed_at, case.due_on) == ("closed", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), None)
        closure = session.scalars(select(Closure)).one()
        assert (closure.stage, closure.outcome, closure.lesson_theme) == (1, "partially_upheld", "communication")
        assert closure.lessons_learned == "Tell families when a visit is cancelled, and why."
        assert sorted(remedy.remedy for remedy in closure.remedies) == ["apology", "service_provided"]
        assert (closure.summary, closure.closed_by) == ("Visits restored", "alex.morgan@council.example")
        assert [(clock.kind, clock.running) for clock in case.clocks] == [("respond", False), ("request_window", True)]
    closed = audit_of(reference)[-1]
    assert (closed.action, closed.detail) == ("case.closed", {"stage": 1, "outcome": "partially_upheld"})


@pytest.mark.parametrize("case_type", ["question", "comment", "compliment"])
def test_feedback_closes_with_a_lesson_but_no_outcome_and_no_window(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    case_type: str,
) -> None:
    reference = open_case("question", case_type=case_type)

    with pytest.raises(InvalidRequest, match="has no outcome"), work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    with pytest.raises(InvalidRequest, match="lessons learned"), work_on(reference) as (session, case):
        service.close(session, case, crt, closing(outcome=None, remedies=(), lessons_learned="n/a"))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing(outcome=None, remedies=(), lesson_theme="no_lesson"))

    with work_on(reference) as (_, case):
        assert case.status == "closed"
        assert [clock.kind for clock in case.clocks] == ["respond"]


def test_closing_a_closed_case_is_a_conflict(
    app: Application,
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())

    with pytest.raises(Conflict, match="closed"), work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    assert count(app, Closure) == 1


# --- reopening ---------------------------------------------------------------------------------------------


def test_reopen_needs_a_reason_and_a_closed_case(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")
    with pytest.raises(Conflict, match="only a closed case"), work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="Closed by mistake.")
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())
    with pytest.raises(InvalidRequest, match="reopening needs a reason"), work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="oops")

    with work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="  Closed by mistake.  ")

    with work_on(reference) as (_, case):
        assert (case.status, case.closed_at, case.due_on) == ("open", None, date(2026, 3, 16))
    reopened = audit_of(reference)[-1]
    assert (reopened.action, reopened.detail) == ("case.reopened", {"stage": 1, "reason": "Closed by mistake."})


# --- escalating --------------------------------------------------------------------------------------------


def test_escalation_moves_a_complaint_to_the_crt_at_the_next_stage(
    app: Application,
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="childrens_initial_response", staff_id=None, reason="service")
        service.close(session, case, crt, closing())

    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason="Unhappy with the stage 1 reply.")

    with work_on(reference) as (session, case):
        assert (case.stage, case.status, case.closed_at) == (2, "open", None)
        assert (case.owner_team_id, case.assigned_staff_id) == ("crt", None)
        entries = session.scalars(select(StageEntry).where(StageEntry.case_id == case.id).order_by(StageEntry.id))
        assert [(entry.stage, entry.requested_on) for entry in entries] == [
            (1, date(2026, 3, 2)),
            (2, date(2026, 3, 2)),
        ]
        latest = session.scalars(select(Assignment).order_by(Assignment.id.desc())).first()
        assert latest is not None
        assert (latest.stage, latest.team_id, latest.reason) == (2, "crt", "Unhappy with the stage 1 reply.")
    escalated = audit_of(reference)[-1]
    assert (escalated.action, escalated.detail) == ("case.escalated", {"stage": 2, "late_request": False})


def test_only_the_crt_escalates(service: CaseService, open_case: OpenCase, work_on: WorkOn, admissions: Actor) -> None:
    reference = open_case("corporate")
    with pytest.raises(NotAllowed, match="Customer Relations Team"), work_on(reference) as (session, case):
        service.escalate(session, case, admissions, requested_on=date(2026, 3, 2), reason=REASON)


@pytest.mark.parametrize("case_type", ["question", "comment", "compliment"])
def test_only_complaints_escalate(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, case_type: str
) -> None:
    reference = open_case("question", case_type=case_type)
    with pytest.raises(Conflict, match="only complaints can be escalated"), work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)


def test_escalation_needs_a_reason_and_a_request_date_not_in_the_future(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")
    with pytest.raises(InvalidRequest, match="an escalation needs a reason"), work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason="stage 2")
    with pytest.raises(InvalidRequest, match="future"), work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 3), reason=REASON)

    with work_on(reference) as (_, case):
        assert case.stage == 1


def test_corporate_complaints_stop_at_stage2_and_point_to_the_ombudsman(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)

    with pytest.raises(Conflict) as refused, work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)
    assert "corporate procedure ends at stage 2" in str(refused.value)
    assert "Ombudsman" in str(refused.value)


def test_statutory_complaints_stop_at_stage3(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")
    for _ in range(2):
        with work_on(reference) as (session, case):
            service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)

    with pytest.raises(Conflict, match="statutory procedure ends at stage 3"), work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)
    with work_on(reference) as (_, case):
        assert case.stage == 3


def test_a_late_request_is_allowed_but_audited_as_late(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 13))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())  # window until Tue 14 Apr
    set_today(date(2026, 4, 20))

    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 4, 15), reason=REASON)

    with work_on(reference) as (_, case):
        assert case.stage == 2
    assert audit_of(reference)[-1].detail == {"stage": 2, "late_request": True}


def test_regression_late_flag_ignores_a_window_that_reopening_withdrew(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    set_today: SetToday,
    audit_of: Audit,
) -> None:
    """Bug: `request_lapsed` compared the request with the last window of the stage even when reopening had
    stopped it, so a complaint escalated while reopened was recorded as a late request."""
    reference = open_case("statutory")
    set_today(date(2026, 3, 4))
    with work_on(reference) as (session, case):
        service.close(session, case, crt, closing())  # window until Thu 1 Apr
    with work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="The reply had not actually been sent.")
    set_today(date(2026, 4, 20))

    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 4, 20), reason=REASON)

    assert audit_of(reference)[-1].detail == {"stage": 2, "late_request": False}


# --- statutory stage 3's panel steps -----------------------------------------------------------------------


def test_panel_steps_belong_to_an_open_stage3_complaint_in_order(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    admissions: Actor,
    set_today: SetToday,
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")
    with pytest.raises(Conflict, match="open stage 3 complaint"), work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 3, 2))
    for _ in range(2):
        with work_on(reference) as (session, case):
            service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)
    set_today(date(2026, 4, 1))

    with pytest.raises(NotAllowed, match="Customer Relations Team"), work_on(reference) as (session, case):
        service.record_panel(session, case, admissions, held_on=date(2026, 3, 30))
    with pytest.raises(Conflict, match="not waiting for the panel report"), work_on(reference) as (session, case):
        service.record_panel_report(session, case, crt, received_on=date(2026, 3, 30))
    too_early = pytest.raises(InvalidRequest, match="before the panel clock started")
    with too_early, work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 2, 27))
    with work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 3, 30))
    with pytest.raises(Conflict, match="not waiting for the panel"), work_on(reference) as (session, case):
        service.record_panel(session, case, crt, held_on=date(2026, 3, 31))
    with work_on(reference) as (session, case):
        service.record_panel_report(session, case, crt, received_on=date(2026, 4, 1))

    trail = [(event.action, event.detail) for event in audit_of(reference)][-2:]
    assert trail == [
        ("case.panel_held", {"held_on": "2026-03-30"}),
        ("case.panel_reported", {"received_on": "2026-04-01"}),
    ]


# --- assigning ---------------------------------------------------------------------------------------------


def test_crt_assigns_a_stage1_case_to_a_team_member(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, audit_of: Audit
) -> None:
    reference = open_case("corporate")
    lee = staff_id(app, "lee.khan@council.example")

    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=lee, reason="Admissions appeal")

    with work_on(reference) as (session, case):
        assert (case.owner_team_id, case.assigned_staff_id) == ("school_admissions", lee)
        latest = session.scalars(select(Assignment).order_by(Assignment.id.desc())).first()
        assert latest is not None
        assert (latest.stage, latest.team_id, latest.staff_id) == (1, "school_admissions", lee)
        assert (latest.assigned_by, latest.reason) == ("alex.morgan@council.example", "Admissions appeal")
    assigned = audit_of(reference)[-1]
    assert (assigned.action, assigned.detail) == ("case.assigned", {"team": "school_admissions", "staff_id": lee})


def test_a_team_reassigns_within_itself_but_cannot_move_a_case_to_another_team(
    app: Application,
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    admissions: Actor,
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=None, reason=None)
    pat = staff_id(app, "pat.ellis@council.example")

    with work_on(reference) as (session, case):
        service.assign(session, case, admissions, team_id="school_admissions", staff_id=pat, reason="Leave cover")
    with pytest.raises(NotAllowed, match="only the Customer Relations Team"), work_on(reference) as (session, case):
        service.assign(session, case, admissions, team_id="sendar", staff_id=None, reason="Not ours")

    with work_on(reference) as (_, case):
        assert (case.owner_team_id, case.assigned_staff_id) == ("school_admissions", pat)


def test_stage2_and_stage3_stay_with_the_crt(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)

    with pytest.raises(Conflict, match="owned by the Customer Relations Team"), work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="childrens_initial_response", staff_id=None, reason=None)
    sam = staff_id(app, "sam.patel@council.example")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="crt", staff_id=sam, reason="Investigating officer")
    with work_on(reference) as (_, case):
        assert (case.owner_team_id, case.assigned_staff_id) == ("crt", sam)


def test_assignee_must_be_an_active_member_of_the_team(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("corporate")
    robin = staff_id(app, "robin.shaw@council.example")

    not_a_member = pytest.raises(InvalidRequest, match="not an active member of team school_admissions")
    with not_a_member, work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=robin, reason=None)
    with pytest.raises(InvalidRequest, match="not an active member"), work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="sendar", staff_id=999_999, reason=None)

    settings = app.settings
    with transaction(app.sessions) as session:
        sync_directory(session, settings.teams, [m for m in settings.staff if m.email != "robin.shaw@council.example"])
    left = pytest.raises(InvalidRequest, match="not an active member of team sendar")
    with left, work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="sendar", staff_id=robin, reason=None)
    with work_on(reference) as (_, case):
        assert (case.owner_team_id, case.assigned_staff_id) == ("crt", None)


# --- the corporate rule: a fresh pair of eyes at stage 2 ---------------------------------------------------


def test_corporate_stage2_handler_must_differ_from_the_stage1_handler(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("corporate")
    sam, jo = staff_id(app, "sam.patel@council.example"), staff_id(app, "jo.reid@council.example")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="crt", staff_id=sam, reason="CRT handles it directly")

    with pytest.raises(Conflict, match="must not be the stage 1 handler"), work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON, handler_id=sam)
    with work_on(reference) as (session, case):
        assert case.stage == 1
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON, handler_id=jo)
    with pytest.raises(Conflict, match="must not be the stage 1 handler"), work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="crt", staff_id=sam, reason="Swap")

    with work_on(reference) as (_, case):
        assert (case.stage, case.assigned_staff_id) == (2, jo)


def test_statutory_stage2_may_keep_the_same_crt_officer(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")
    sam = staff_id(app, "sam.patel@council.example")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="crt", staff_id=sam, reason=None)

    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON, handler_id=sam)
    with work_on(reference) as (_, case):
        assert (case.stage, case.assigned_staff_id) == (2, sam)


def test_escalation_handler_must_be_in_the_crt(
    app: Application, service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("corporate")
    lee = staff_id(app, "lee.khan@council.example")
    not_crt = pytest.raises(InvalidRequest, match="not an active member of team crt")
    with not_crt, work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON, handler_id=lee)


# --- changing procedure ------------------------------------------------------------------------------------


def test_crt_changes_a_complaints_procedure_with_a_reason(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, audit_of: Audit
) -> None:
    reference = open_case("corporate")

    with work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="statutory", reason="The child asked us to complain.")

    with work_on(reference) as (_, case):
        assert (case.procedure, case.procedure_fixed, case.due_on) == ("statutory", True, date(2026, 3, 16))
    changed = audit_of(reference)[-1]
    assert (changed.action, changed.detail) == ("case.procedure_changed", {"previous": "corporate", "new": "statutory"})


@pytest.mark.parametrize(
    ("kind", "procedure", "error", "words"),
    [
        ("corporate", "feedback", Conflict, "complaints follow the statutory or corporate procedure"),
        ("question", "statutory", Conflict, "other cases the feedback one"),
        ("question", "corporate", Conflict, "other cases the feedback one"),
        ("corporate", "ombudsman", InvalidRequest, "procedure must be one of"),
    ],
)
def test_change_procedure_keeps_complaints_and_feedback_apart(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    kind: str,
    procedure: str,
    error: type[Exception],
    words: str,
) -> None:
    reference = open_case(kind)
    with pytest.raises(error, match=words), work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure=procedure, reason="The rules picked wrongly.")
    with work_on(reference) as (_, case):
        assert case.procedure_fixed is False


def test_change_procedure_is_for_the_crt_with_a_reason(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, admissions: Actor
) -> None:
    reference = open_case("corporate")
    with pytest.raises(NotAllowed, match="Customer Relations Team"), work_on(reference) as (session, case):
        service.change_procedure(session, case, admissions, procedure="statutory", reason="The child asked us.")
    with pytest.raises(InvalidRequest, match="needs a reason"), work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="statutory", reason="child")


def test_a_stage3_complaint_cannot_become_corporate(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor
) -> None:
    reference = open_case("statutory")
    for _ in range(2):
        with work_on(reference) as (session, case):
            service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason=REASON)

    with pytest.raises(Conflict, match="corporate procedure has no stage 3"), work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="corporate", reason="Not a child's complaint.")


def test_changing_procedure_after_acknowledgement_keeps_the_case_acknowledged(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, crt: Actor, set_today: SetToday
) -> None:
    reference = open_case("statutory")
    set_today(date(2026, 3, 4))
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, crt)

    with work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="corporate", reason="Raised by the carer herself.")

    with work_on(reference) as (_, case):
        running = {clock.kind for clock in case.clocks if clock.running}
        assert running == {"respond"}  # the acknowledgement is not owed twice
        assert case.due_on == date(2026, 3, 18)  # Wed 4 Mar + 10


# --- who may change a case ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        lambda service, session, case, actor, closing: service.acknowledge(session, case, actor),
        lambda service, session, case, actor, closing: service.extend(
            session, case, actor, working_days=1, reason=REASON
        ),
        lambda service, session, case, actor, closing: service.close(session, case, actor, closing()),
        lambda service, session, case, actor, closing: service.assign(
            session, case, actor, team_id="school_admissions", staff_id=None, reason=None
        ),
    ],
    ids=["acknowledge", "extend", "close", "assign"],
)
def test_only_the_owning_team_or_the_crt_changes_a_case(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    staff: StaffOf,
    closing: Callable[..., Closing],
    operation: Callable[..., object],
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=None, reason=None)

    owner, outsider = staff("lee.khan@council.example"), staff("robin.shaw@council.example")
    for stranger in (outsider, Actor.channel("web_chat"), Actor.system("scheduler")):
        with pytest.raises(NotAllowed, match="owning team"), work_on(reference) as (session, case):
            operation(service, session, case, stranger, closing)
    with work_on(reference) as (session, case):
        operation(service, session, case, owner, closing)


# --- messages ----------------------------------------------------------------------------------------------


def test_an_inbound_message_on_a_closed_case_puts_it_back_in_review(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    closing: Callable[..., Closing],
    audit_of: Audit,
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        case.needs_review = False
        service.close(session, case, crt, closing())

    with work_on(reference) as (session, case):
        service.add_message(
            session, case, Actor.channel("email"), direction="in", channel="email", body="I want stage 2."
        )
    with pytest.raises(InvalidRequest, match="direction"), work_on(reference) as (session, case):
        service.add_message(session, case, crt, direction="sideways", channel="email", body="Hello")

    with work_on(reference) as (_, case):
        assert case.needs_review is True
    assert audit_of(reference)[-1].detail == {"direction": "in", "channel": "email"}


# --- the audit trail ---------------------------------------------------------------------------------------


def test_every_change_leaves_an_audit_event_naming_the_actor(
    app: Application,
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    admissions: Actor,
    closing: Callable[..., Closing],
    clock: Any,
    audit_of: Audit,
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=None, reason=None)
    with work_on(reference) as (session, case):
        service.acknowledge(session, case, admissions)
    with work_on(reference) as (session, case):
        service.extend(session, case, admissions, working_days=2, reason=REASON)
    with work_on(reference) as (session, case):
        service.close(session, case, admissions, closing())
    with work_on(reference) as (session, case):
        service.reopen(session, case, crt, reason="Reply went to the wrong address.")
    with work_on(reference) as (session, case):
        service.close(session, case, admissions, replace(closing(), outcome="upheld"))
    clock.advance(days=1)
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 3), reason=REASON)

    trail = [(event.action, event.actor) for event in audit_of(reference)]
    assert trail == [
        ("case.opened", "channel:email"),
        ("case.assigned", "alex.morgan@council.example"),
        ("case.acknowledged", "lee.khan@council.example"),
        ("case.extended", "lee.khan@council.example"),
        ("case.closed", "lee.khan@council.example"),
        ("case.reopened", "alex.morgan@council.example"),
        ("case.closed", "lee.khan@council.example"),
        ("case.escalated", "alex.morgan@council.example"),
    ]
    assert all(event.at.tzinfo is not None for event in audit_of(reference))
    assert count(app, Case) == 1


def test_a_refused_change_leaves_no_trace(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, admissions: Actor, audit_of: Audit
) -> None:
    reference = open_case("corporate")
    with pytest.raises(NotAllowed), work_on(reference) as (session, case):
        service.close(session, case, admissions, Closing(lessons_learned="x" * 20, lesson_theme="training"))
    assert actions(audit_of, reference) == ["case.opened"]


def test_received_at_from_a_channel_is_kept(open_case: OpenCase, work_on: WorkOn) -> None:
    received = datetime(2026, 2, 27, 16, 45, tzinfo=UTC)  # a Friday afternoon email, processed on Monday
    reference = open_case("question", received_at=received)
    with work_on(reference) as (_, case):
        assert case.received_at == received
        assert case.due_on == date(2026, 3, 13)  # Fri 27 Feb + 10 working days
