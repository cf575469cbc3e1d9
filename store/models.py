"""The tables: contacts, cases and everything that happens to a case.

Only `store.service` changes these rows; everything else reads them. Timestamps are UTC-aware datetimes
(see `UTCDateTime`); deadlines are plain dates in Europe/London, due by the end of that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which drops the zone) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012 (SQLAlchemy's hook)


class Team(Base):
    """A team that owns cases; loaded from config.yml by `store.directory.sync_directory`."""

    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    directorate: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Staff(Base):
    """A member of staff; `token_hash` is the SHA-256 of their API token (the token itself is never stored)."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(20), default="officer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    team: Mapped[Team] = relationship(lazy="joined")


class Contact(Base):
    """One record per citizen, matched by email or phone, so all their cases are seen together."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    procedure: Mapped[str] = mapped_column(String(20))
    # True once the CRT has set the procedure by hand: later reclassification must not undo it.
    procedure_fixed: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="open")
    service: Mapped[str | None] = mapped_column(String(40))
    subject_category: Mapped[str | None] = mapped_column(String(40))
    owner_team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    complainant_role: Mapped[str] = mapped_column(String(20), default="other")
    on_behalf_of_child: Mapped[bool] = mapped_column(Boolean, default=False)
    # For someone writing on a child's behalf: does the child know and agree? None when not asked.
    child_consents: Mapped[bool | None] = mapped_column(Boolean)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The CRT has suggestions or a reply to look at; low_confidence: one of those suggestions scored below
    # its head's review threshold, so the CRT should read the case rather than confirm it.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the classifiers and rules last looked at the case; None: waiting for the classification worker.
    classified_at: Mapped[datetime | None] = mapped_column(index=True)
    # The area Children's Team the case text names (classifiers.areas), used if its service is childrens_team.
    area_team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    received_at: Mapped[datetime] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    due_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner_team: Mapped[Team] = relationship(lazy="joined", foreign_keys=[owner_team_id])
    assigned_staff: Mapped[Staff | None] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")
    clocks: Mapped[list[Clock]] = relationship(order_by="Clock.id", back_populates="case")

    __table_args__ = (
        Index("ix_cases_owner_status", "owner_team_id", "status"),
        Index("ix_cases_status_due", "status", "due_on"),
        Index("ix_cases_contact", "contact_id"),
        # The weekly digests count cases received in a week, this year and last.
        Index("ix_cases_received_at", "received_at"),
    )


class Message(Base):
    """Every inbound and outbound message on a case; `raw` keeps an email's original bytes."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(20))
    author: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    # For email: the received message, whose raw bytes are kept there once rather than copied here.
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMail(Base):
    """An email exactly as the SMTP listener received it, committed before it answered 250.

    A worker turns it into a case or a threaded message in the same transaction that marks it processed,
    so a crash between the two can neither lose nor duplicate it. `dedupe_key` (Message-ID and sender, or
    the bytes' hash) is unique: a relay's retry of the same message is stored once.
    """

    __tablename__ = "inbound_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    envelope_sender: Mapped[str] = mapped_column(String(998))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # received -> processed | ignored (robots with nothing to do) | quarantined (for staff, with its error)
    status: Mapped[str] = mapped_column(String(12), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    processed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_inbound_mail_status_id", "status", "id"),)


class StoredAttachment(Base):
    """A file that came with a message: kept as bytes for staff to download, never opened or rendered here.

    One over the size limit or of a refused type keeps its name, type and size but not its bytes.
    """

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    refused_because: Mapped[str | None] = mapped_column(String(200))


class Suggestion(Base):
    """A classifier's suggestion for one head, and what the CRT made of it."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    head: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(80))
    # Scored below the head's review threshold (chosen on the dev split): the CRT should read, not confirm.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    review: Mapped[str] = mapped_column(String(12), default="pending")
    final_label: Mapped[str | None] = mapped_column(String(40))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()


class Assignment(Base):
    """Who owned the case, at which stage, from when: the handler history the corporate rule checks."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(Text)


class StageEntry(Base):
    """A stage the case entered: when, under which procedure, and when it concluded."""

    __tablename__ = "stage_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[str] = mapped_column(String(20))
    requested_on: Mapped[date] = mapped_column(Date)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    concluded_at: Mapped[datetime | None] = mapped_column()


class Clock(Base):
    """One deadline of one stage: acknowledge, respond, panel steps, or the complainant's window to escalate.

    A clock is met (`met_on`), or stopped because it no longer applies (`stopped_on`); otherwise it runs.
    Reminder jobs key their sends on the clock's id, so a clock is never reused for another deadline.
    """

    __tablename__ = "clocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    limit_on: Mapped[date] = mapped_column(Date)
    met_on: Mapped[date | None] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    case: Mapped[Case] = relationship(back_populates="clocks")

    __table_args__ = (Index("ix_clocks_running_due", "met_on", "stopped_on", "due_on"),)

    @property
    def running(self) -> bool:
        return self.met_on is None and self.stopped_on is None


class ClockNotice(Base):
    """A notice the scheduled jobs sent about one deadline: a reminder `point` working days before it is due,
    or -1 once it has passed (`OVERDUE`).

    Unique per (clock, due date, point) and written in the same transaction as the outbox rows it causes, so
    overlapping runs, restarts and several schedulers send each notice once. An extended deadline has a new
    due date, so its reminders go again.
    """

    __tablename__ = "clock_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    due_on: Mapped[date] = mapped_column(Date)
    point: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("clock_id", "due_on", "point"),)


class Extension(Base):
    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), index=True)
    previous_due_on: Mapped[date] = mapped_column(Date)
    new_due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    extended_by: Mapped[str] = mapped_column(String(254))
    extended_at: Mapped[datetime] = mapped_column(default=utcnow)


class Closure(Base):
    """How a stage ended: the outcome (complaints), the remedies, and the lesson learned."""

    __tablename__ = "closures"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    lessons_learned: Mapped[str | None] = mapped_column(Text)
    lesson_theme: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(254))
    remedies: Mapped[list[ClosureRemedy]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ClosureRemedy(Base):
    __tablename__ = "closure_remedies"
    closure_id: Mapped[int] = mapped_column(ForeignKey("closures.id"), primary_key=True)
    remedy: Mapped[str] = mapped_column(String(40), primary_key=True)


class AuditEvent(Base):
    """Who did what to which case, including every staff read; never updated or deleted."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxMessage(Base):
    """Mail to send, written in the same transaction as the change that causes it.

    `dedupe_key` is unique: a job that runs twice enqueues once.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What it is (acknowledgement, notification, reminder, digest): the robot-loop limit counts by kind.
    kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    # Our Message-ID for it, so a reply's In-Reply-To finds the case again.
    message_id: Mapped[str] = mapped_column(String(254), unique=True)
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_to_kind_created", "to_address", "kind", "created_at"),
    )


class StatusLookup(Base):
    """A citizen's status lookup, kept to rate-limit guessing across every API instance."""

    __tablename__ = "status_lookups"
    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    found: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_status_lookups_client_at", "client", "at"),
        Index("ix_status_lookups_reference_at", "reference", "at"),
    )
