"""The case service: the only code that changes a case.

Every operation takes the caller's session, so a channel can commit its own bookkeeping (an inbound email
marked processed) in the same transaction as the change; every operation checks who may do it, enforces
the procedures' rules, and writes an audit event. Suggestions and their review live in `store.review`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.clocks import ClockPlanner
from store.contacts import ContactDetails, match_contact
from store.errors import Conflict, InvalidRequest, NotAllowed
from store.labels import CASE_TYPES, CHANNELS, COMPLAINANT_ROLES, LESSON_THEMES, OUTCOMES, REMEDIES, SERVICES
from store.models import Assignment, Case, Clock, Closure, ClosureRemedy, Extension, Message, Staff, Team, utcnow
from store.policy import PROCEDURES, Procedure, ProcedurePolicy
from store.references import new_reference
from store.stages import StageClocks, procedure_of
from store.workdays import WorkingCalendar, london_date

MAX_TEXT_CHARS = 100_000
MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class NewCase:
    """What a channel knows when a case arrives. `case_type` may be left for the classifier and the CRT."""

    channel: str
    text: str
    case_type: str | None = None
    subject: str | None = None
    contact: ContactDetails | None = None
    complainant_role: str = "other"
    on_behalf_of_child: bool = False
    child_consents: bool | None = None
    service: str | None = None
    urgent: bool = False
    received_at: datetime | None = None
    raw: bytes | None = None
    message_id: str | None = None
    inbound_mail_id: int | None = None


@dataclass(frozen=True)
class Closing:
    """What staff record when a stage ends. Complaints need all of it; other cases need the lesson."""

    lessons_learned: str
    lesson_theme: str
    outcome: str | None = None
    remedies: Sequence[str] = field(default_factory=tuple)
    summary: str | None = None


class CaseService:
    def __init__(
        self,
        *,
        calendar: WorkingCalendar,
        policy: ProcedurePolicy,
        crt_team: str,
        team_for_service: Callable[[str], str],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.calendar = calendar
        self.policy = policy
        self.crt_team = crt_team
        self.team_for_service = team_for_service
        self.now = now
        self.clocks = StageClocks(ClockPlanner(calendar, policy))

    # --- opening and messages -------------------------------------------------------------------------

    def open_case(self, session: Session, new: NewCase, actor: Actor) -> Case:
        """A new case at stage 1, owned by the CRT for review unless staff say otherwise, with its clocks."""
        _check_new_case(new)
        received_at = new.received_at or self.now()
        # Until the classifier and the CRT say otherwise, an untyped case runs on the complaint clock:
        # treating a complaint as a question would let its statutory deadline pass unseen.
        case_type = new.case_type or "complaint"
        procedure = self.policy.decide(
            case_type=case_type,
            service=new.service,
            raised_by_child=new.complainant_role == "young_person",
            on_behalf_of_child=new.on_behalf_of_child,
        )
        case = Case(
            type=case_type,
            channel=new.channel,
            procedure=procedure,
            stage=1,
            status="open",
            service=new.service,
            owner_team_id=self.crt_team,
            contact=match_contact(session, new.contact) if new.contact else None,
            complainant_role=new.complainant_role,
            on_behalf_of_child=new.on_behalf_of_child,
            child_consents=new.child_consents if new.on_behalf_of_child else None,
            urgent=new.urgent,
            needs_review=True,
            received_at=received_at,
        )
        _insert_with_fresh_reference(session, case)
        self.clocks.enter_stage(session, case, 1, london_date(received_at))
        self._refresh_due(case)
        session.add(
            Message(
                case_id=case.id,
                direction="in",
                channel=new.channel,
                author=case.contact.email if case.contact else None,
                subject=new.subject,
                body=new.text,
                raw=new.raw,
                message_id=new.message_id,
                inbound_mail_id=new.inbound_mail_id,
                created_at=received_at,
            )
        )
        session.add(Assignment(case_id=case.id, stage=1, team_id=self.crt_team, assigned_by=actor.name))
        audit.record(session, actor, "case.opened", case.id, channel=new.channel, type=case_type, procedure=procedure)
        return case

    def add_message(
        self,
        session: Session,
        case: Case,
        actor: Actor,
        *,
        direction: str,
        channel: str,
        body: str,
        author: str | None = None,
        subject: str | None = None,
        raw: bytes | None = None,
        message_id: str | None = None,
        inbound_mail_id: int | None = None,
    ) -> Message:
        """Record a message; an inbound one on a closed case is flagged, since it may be a request to escalate."""
        if direction not in ("in", "out"):
            raise InvalidRequest("direction must be 'in' or 'out'")
        if channel not in CHANNELS:
            raise InvalidRequest(f"unknown channel {channel!r}")
        if not body.strip() or len(body) > MAX_TEXT_CHARS:
            raise InvalidRequest(f"a message needs between 1 and {MAX_TEXT_CHARS} characters of text")
        if actor.is_staff:
            self._check_may_change(case, actor)
        message = Message(
            case_id=case.id,
            direction=direction,
            channel=channel,
            author=author,
            subject=subject,
            body=body,
            raw=raw,
            message_id=message_id,
            inbound_mail_id=inbound_mail_id,
            created_at=self.now(),
        )
        session.add(message)
        session.flush()  # callers attach files to it and key notifications on its id
        if direction == "in" and case.status == "closed":
            case.needs_review = True
        audit.record(session, actor, "message.added", case.id, direction=direction, channel=channel)
        return message

    # --- handling a stage -----------------------------------------------------------------------------

    def acknowledge(self, session: Session, case: Case, actor: Actor) -> None:
        """Record the acknowledgement; under the corporate procedure the response clock restarts from it."""
        self._check_may_change(case, actor)
        self._check_open(case)
        today = self._today()
        if case.acknowledged_at is None:
            case.acknowledged_at = self.now()
        self.clocks.acknowledge(session, case, today)
        self._refresh_due(case)
        audit.record(session, actor, "case.acknowledged", case.id, stage=case.stage)

    def assign(
        self, session: Session, case: Case, actor: Actor, *, team_id: str, staff_id: int | None, reason: str | None
    ) -> None:
        self._check_may_change(case, actor)
        team = session.get(Team, team_id)
        if team is None or not team.active:
            raise InvalidRequest(f"no team {team_id!r}; teams are listed in config.yml")
        if case.stage >= 2 and team_id != self.crt_team:
            raise Conflict("stage 2 and stage 3 complaints are owned by the Customer Relations Team")
        if case.stage == 1 and not actor.is_crt and team_id != case.owner_team_id:
            raise NotAllowed("only the Customer Relations Team can move a case to another team")
        staff = self._staff_in_team(session, staff_id, team_id) if staff_id is not None else None
        if staff is not None:
            self._check_independent_handler(session, case, case.stage, staff.id)
        case.owner_team_id = team_id
        case.assigned_staff = staff
        session.add(
            Assignment(
                case_id=case.id,
                stage=case.stage,
                team_id=team_id,
                staff_id=staff.id if staff else None,
                assigned_by=actor.name,
                reason=reason,
            )
        )
        audit.record(session, actor, "case.assigned", case.id, team=team_id, staff_id=staff.id if staff else None)

    def extend(self, session: Session, case: Case, actor: Actor, *, working_days: int, reason: str) -> Extension:
        """Move the running response deadline later, within the procedure's limit, for a stated reason."""
        self._check_may_change(case, actor)
        self._check_open(case)
        _check_reason(reason, "an extension")
        if working_days < 1:
            raise InvalidRequest("an extension must be at least one working day")
        clock = self.clocks.running_response(case)
        if clock is None:
            raise Conflict("this case has no running response deadline to extend")
        new_due = self.calendar.add_working_days(clock.due_on, working_days)
        if new_due > clock.limit_on:
            raise Conflict(
                f"the {case.procedure} procedure allows this deadline to move to {clock.limit_on.isoformat()} "
                f"at the latest; {working_days} working days would take it to {new_due.isoformat()}"
            )
        extension = Extension(
            clock_id=clock.id,
            previous_due_on=clock.due_on,
            new_due_on=new_due,
            reason=reason.strip(),
            extended_by=actor.name,
            extended_at=self.now(),
        )
        session.add(extension)
        clock.due_on = new_due
        self._refresh_due(case)
        audit.record(session, actor, "case.extended", case.id, clock=clock.kind, new_due_on=new_due.isoformat())
        return extension

    def close(self, session: Session, case: Case, actor: Actor, closing: Closing) -> Closure:
        """End the current stage with its outcome, remedies and lesson; a complaint's escalation window opens."""
        self._check_may_change(case, actor)
        self._check_open(case)
        _check_closing(case.type, closing)
        today = self._today()
        closure = Closure(
            case_id=case.id,
            stage=case.stage,
            outcome=closing.outcome,
            lessons_learned=closing.lessons_learned.strip(),
            lesson_theme=closing.lesson_theme,
            summary=closing.summary,
            closed_at=self.now(),
            closed_by=actor.name,
            remedies=[ClosureRemedy(remedy=remedy) for remedy in dict.fromkeys(closing.remedies)],
        )
        session.add(closure)
        self.clocks.conclude_stage(session, case, today)
        case.status = "closed"
        case.closed_at = closure.closed_at
        self._refresh_due(case)
        audit.record(session, actor, "case.closed", case.id, stage=case.stage, outcome=closing.outcome)
        return closure

    def reopen(self, session: Session, case: Case, actor: Actor, *, reason: str) -> None:
        """Undo a closure made in error: the stage's deadlines run again from where they stood."""
        self._check_may_change(case, actor)
        _check_reason(reason, "reopening")
        if case.status != "closed":
            raise Conflict("only a closed case can be reopened")
        self.clocks.resume_stage(session, case)
        case.status = "open"
        case.closed_at = None
        self._refresh_due(case)
        audit.record(session, actor, "case.reopened", case.id, stage=case.stage, reason=reason.strip())

    def escalate(
        self,
        session: Session,
        case: Case,
        actor: Actor,
        *,
        requested_on: date,
        reason: str,
        handler_id: int | None = None,
    ) -> None:
        """Move a complaint to its next stage at the complainant's request; the CRT owns stages 2 and 3."""
        self.check_crt(actor, "escalate a complaint")
        _check_reason(reason, "an escalation")
        if case.type != "complaint":
            raise Conflict(f"a {case.type} has no further stages; only complaints can be escalated")
        next_stage = case.stage + 1
        if next_stage > self.policy.last_stage(procedure_of(case)):
            raise Conflict(
                f"the {case.procedure} procedure ends at stage {case.stage}; "
                "the complainant can go to the Local Government and Social Care Ombudsman"
            )
        self._check_not_future(requested_on)
        handler = self._staff_in_team(session, handler_id, self.crt_team) if handler_id is not None else None
        if handler is not None:
            self._check_independent_handler(session, case, next_stage, handler.id)
        late = self.clocks.request_lapsed(case, requested_on)
        self.clocks.leave_stage(session, case, self._today())
        case.stage = next_stage
        case.status = "open"
        case.closed_at = None
        case.owner_team_id = self.crt_team
        case.assigned_staff = handler
        self.clocks.enter_stage(session, case, next_stage, requested_on)
        session.add(
            Assignment(
                case_id=case.id,
                stage=next_stage,
                team_id=self.crt_team,
                staff_id=handler.id if handler else None,
                assigned_by=actor.name,
                reason=reason.strip(),
            )
        )
        self._refresh_due(case)
        audit.record(session, actor, "case.escalated", case.id, stage=next_stage, late_request=late)

    def conclude_after_window(self, session: Session, case: Case, window: Clock, actor: Actor) -> None:
        """The complainant's window to ask for the next stage closed unused: the stage's outcome stands.

        The window clock stops on the day this is recorded (after its due date, which is how a late request
        for the next stage is still recognised); the case stays closed and can still be escalated or reopened.
        """
        if window.case_id != case.id or window.kind != "request_window" or not window.running:
            raise Conflict("that is not a running window to ask for the next stage")
        today = self._today()
        if today <= window.due_on:
            raise Conflict(f"the complainant may ask for the next stage until {window.due_on.isoformat()}")
        window.stopped_on = today
        audit.record(
            session, actor, "case.stage_concluded", case.id, stage=case.stage, window_due_on=window.due_on.isoformat()
        )

    def record_panel(self, session: Session, case: Case, actor: Actor, *, held_on: date) -> None:
        """Statutory stage 3: the review panel met; its report is due next."""
        self.check_crt(actor, "record a review panel")
        self._check_not_future(held_on)
        self._check_stage3(case)
        self.clocks.advance_panel(session, case, "panel", held_on)
        self._refresh_due(case)
        audit.record(session, actor, "case.panel_held", case.id, held_on=held_on.isoformat())

    def record_panel_report(self, session: Session, case: Case, actor: Actor, *, received_on: date) -> None:
        """Statutory stage 3: the panel's report arrived; the council's response is due next."""
        self.check_crt(actor, "record a panel report")
        self._check_not_future(received_on)
        self._check_stage3(case)
        self.clocks.advance_panel(session, case, "panel_report", received_on)
        self._refresh_due(case)
        audit.record(session, actor, "case.panel_reported", case.id, received_on=received_on.isoformat())

    def change_procedure(self, session: Session, case: Case, actor: Actor, *, procedure: str, reason: str) -> None:
        """The CRT overrides the procedure the rules chose; its clocks restart from the stage's start."""
        self.check_crt(actor, "change a case's procedure")
        _check_reason(reason, "a change of procedure")
        if procedure not in PROCEDURES:
            raise InvalidRequest(f"procedure must be one of {', '.join(PROCEDURES)}")
        if (procedure == "feedback") != (case.type != "complaint"):
            raise Conflict("complaints follow the statutory or corporate procedure; other cases the feedback one")
        if case.stage > self.policy.last_stage(procedure):  # type: ignore[arg-type]
            raise Conflict(f"the {procedure} procedure has no stage {case.stage}")
        previous = case.procedure
        case.procedure_fixed = True
        self.apply_procedure(session, case, procedure)  # type: ignore[arg-type]
        audit.record(session, actor, "case.procedure_changed", case.id, previous=previous, new=procedure)

    def route_urgently(self, session: Session, case: Case, actor: Actor, *, service: str, reason: str) -> bool:
        """Mark the case urgent and hand it to `service`'s team now, ahead of any review.

        For text suggesting a child is at risk: it cannot wait in the CRT's queue. An open stage 1 case
        moves team; a later stage stays with the CRT (who own it) but is still marked urgent. Returns
        whether the owner changed, so the caller knows whom to alert.
        """
        if service not in SERVICES:
            raise InvalidRequest(f"unknown service {service!r}")
        case.urgent = True
        moved = False
        team = self.team_for_service(service)
        if case.status == "open" and case.stage == 1 and team != case.owner_team_id:
            case.service = service
            case.owner_team_id = team
            case.assigned_staff = None
            session.add(Assignment(case_id=case.id, stage=1, team_id=team, assigned_by=actor.name, reason=reason))
            self.redecide_procedure(session, case)
            moved = True
        audit.record(session, actor, "case.urgent", case.id, service=service, moved=moved, reason=reason)
        return moved

    # --- shared with store.review ---------------------------------------------------------------------

    def apply_procedure(self, session: Session, case: Case, procedure: Procedure) -> None:
        """Switch procedure and restart the open stage's clocks under it (a no-op when nothing changes)."""
        if procedure == case.procedure:
            return
        case.procedure = procedure
        if case.status == "open":
            self.clocks.restart_stage(session, case, self._today())
        self._refresh_due(case)

    def redecide_procedure(self, session: Session, case: Case) -> None:
        """After the type or service changes, the rules may pick another procedure, unless the CRT fixed it."""
        if case.stage > 1:
            return
        if case.procedure_fixed:
            if (case.procedure == "feedback") == (case.type != "complaint"):
                return
            case.procedure_fixed = False  # the CRT fixed a procedure for another type: the rules decide again
        procedure = self.policy.decide(
            case_type=case.type,
            service=case.service,
            raised_by_child=case.complainant_role == "young_person",
            on_behalf_of_child=case.on_behalf_of_child,
        )
        self.apply_procedure(session, case, procedure)

    # --- rules ----------------------------------------------------------------------------------------

    def check_crt(self, actor: Actor, doing: str) -> None:
        """Some work is the CRT's alone (escalation, procedure, panels, review); channels call this too."""
        if not actor.is_crt:
            raise NotAllowed(f"only the Customer Relations Team can {doing}")

    def _check_may_change(self, case: Case, actor: Actor) -> None:
        if not (actor.is_crt or (actor.is_staff and actor.team_id == case.owner_team_id)):
            raise NotAllowed("only the owning team or the Customer Relations Team can change this case")

    def _check_open(self, case: Case) -> None:
        if case.status != "open":
            raise Conflict("this case is closed; reopen or escalate it first")

    def _check_not_future(self, day: date) -> None:
        if day > self._today():
            raise InvalidRequest(f"{day.isoformat()} is in the future")

    def _check_stage3(self, case: Case) -> None:
        if case.stage != 3 or case.status != "open":
            raise Conflict("panel steps belong to an open stage 3 complaint")

    def _staff_in_team(self, session: Session, staff_id: int | None, team_id: str) -> Staff:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.active or staff.team_id != team_id:
            raise InvalidRequest(f"staff member {staff_id} is not an active member of team {team_id}")
        return staff

    def _check_independent_handler(self, session: Session, case: Case, stage: int, staff_id: int) -> None:
        # LGSCO Code: the stage 2 response comes from someone other than whoever handled stage 1.
        if case.procedure != "corporate" or stage != 2:
            return
        earlier = session.scalars(
            select(Assignment.staff_id).where(Assignment.case_id == case.id, Assignment.stage == 1)
        ).all()
        if staff_id in earlier:
            raise Conflict("under the corporate procedure the stage 2 handler must not be the stage 1 handler")

    def _refresh_due(self, case: Case) -> None:
        clock = self.clocks.running_response(case)
        case.due_on = clock.due_on if clock else None

    def _today(self) -> date:
        return london_date(self.now())


def _insert_with_fresh_reference(session: Session, case: Case) -> None:
    # 35 random bits make a clash very rare; the unique index makes it harmless.
    for _ in range(5):
        case.reference = new_reference()
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            return
        except IntegrityError:
            continue  # the savepoint's rollback has already taken the case back out of the session
    raise RuntimeError("could not allocate a unique case reference")


def _check_new_case(new: NewCase) -> None:
    if new.channel not in CHANNELS:
        raise InvalidRequest(f"channel must be one of {', '.join(CHANNELS)}")
    if new.case_type is not None and new.case_type not in CASE_TYPES:
        raise InvalidRequest(f"type must be one of {', '.join(CASE_TYPES)}")
    if new.complainant_role not in COMPLAINANT_ROLES:
        raise InvalidRequest(f"complainant_role must be one of {', '.join(COMPLAINANT_ROLES)}")
    if new.service is not None and new.service not in SERVICES:
        raise InvalidRequest(f"unknown service {new.service!r}")
    if not new.text.strip() or len(new.text) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"the text must have between 1 and {MAX_TEXT_CHARS} characters")
    if new.received_at is not None and new.received_at.tzinfo is None:
        raise InvalidRequest("received_at must include a time zone")


def _check_reason(reason: str, what: str) -> None:
    if len(reason.strip()) < MIN_REASON_CHARS:
        raise InvalidRequest(f"{what} needs a reason of at least {MIN_REASON_CHARS} characters")


def _check_closing(case_type: str, closing: Closing) -> None:
    if len(closing.lessons_learned.strip()) < MIN_REASON_CHARS:
        raise InvalidRequest(f"record the lessons learned (at least {MIN_REASON_CHARS} characters)")
    if closing.lesson_theme not in LESSON_THEMES:
        raise InvalidRequest(f"lesson_theme must be one of {', '.join(LESSON_THEMES)}")
    unknown = [remedy for remedy in closing.remedies if remedy not in REMEDIES]
    if unknown:
        raise InvalidRequest(f"unknown remedies {unknown}; choose from {', '.join(REMEDIES)}")
    if case_type == "complaint":
        if closing.outcome not in OUTCOMES:
            raise InvalidRequest(f"a complaint needs an outcome: one of {', '.join(OUTCOMES)}")
        if not closing.remedies:
            raise InvalidRequest("a complaint needs at least one remedy")
    elif closing.outcome is not None:
        raise InvalidRequest(f"a {case_type} has no outcome; outcomes are for complaints")
