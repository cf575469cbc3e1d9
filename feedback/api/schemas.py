"""Request and response bodies. Requests forbid unknown fields, so a typo is a 422 naming it, not ignored."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from store.service import MAX_TEXT_CHARS

Channel = Literal["web_chat", "email", "phone", "letter", "in_person"]
CaseType = Literal["complaint", "compliment", "comment", "question"]
Role = Literal["young_person", "parent_carer", "foster_carer", "professional", "other"]
Head = Literal["type", "subject_category", "service"]
Reason = Field(min_length=10, max_length=2000)
PHONE_PATTERN = r"^\+?[0-9 ()\-]{7,20}$"
TEAM_PATTERN = r"^[a-z][a-z0-9_]{1,40}$"  # as feedback.settings.TeamSettings.id
# PostgreSQL cannot store NUL in text, and a lone surrogate cannot be encoded as UTF-8 for any database.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        """Refuse text no database can store with a 422 naming the field, on SQLite as on PostgreSQL."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and UNSTORABLE_TEXT.search(text) for text in texts):
            raise ValueError("text must not contain NUL characters or unpaired surrogates")
        return value


class ContactIn(Request):
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)


class CaseIn(Request):
    channel: Channel
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    type: CaseType | None = None
    subject: str | None = Field(default=None, max_length=300)
    contact: ContactIn | None = None
    anonymous: bool = False
    complainant_role: Role = "other"
    on_behalf_of_child: bool = False
    child_knows_and_agrees: bool | None = None
    service: str | None = Field(default=None, max_length=40)
    urgent: bool = False

    @model_validator(mode="after")
    def _contact_or_anonymous(self) -> CaseIn:
        has_contact = self.contact is not None and bool(self.contact.email or self.contact.phone)
        if self.anonymous and has_contact:
            raise ValueError("an anonymous case cannot carry contact details")
        if not self.anonymous and not has_contact:
            raise ValueError("give contact.email or contact.phone, or set anonymous: true")
        if self.child_knows_and_agrees is not None and not self.on_behalf_of_child:
            raise ValueError("child_knows_and_agrees applies only when on_behalf_of_child is true")
        return self


class CaseCreated(BaseModel):
    reference: str
    type: str
    procedure: str
    stage: int
    status: str
    due_on: date | None


class AssignIn(Request):
    team: str = Field(min_length=1, max_length=40)
    staff_email: EmailStr | None = None
    reason: str | None = Field(default=None, max_length=2000)


class ExtendIn(Request):
    working_days: int = Field(ge=1, le=60)
    reason: str = Reason


class CloseIn(Request):
    outcome: Literal["upheld", "partially_upheld", "not_upheld"] | None = None
    remedies: list[str] = Field(default_factory=list, max_length=6)
    lessons_learned: str = Field(min_length=10, max_length=5000)
    lesson_theme: str = Field(max_length=40)
    summary: str | None = Field(default=None, max_length=5000)


class ReasonIn(Request):
    reason: str = Reason


class EscalateIn(Request):
    requested_on: date
    reason: str = Reason
    handler_email: EmailStr | None = None


class ProcedureIn(Request):
    procedure: Literal["statutory", "corporate", "feedback"]
    reason: str = Reason


class PanelIn(Request):
    on: date


class MessageIn(Request):
    direction: Literal["in", "out"]
    channel: Channel
    body: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    subject: str | None = Field(default=None, max_length=300)


class ReviewIn(Request):
    accept: bool
    label: str | None = Field(default=None, max_length=40)


class Problem(BaseModel):
    detail: str


class CaseSummary(BaseModel):
    reference: str
    type: str
    procedure: str
    stage: int
    status: str
    team: str
    assigned_to: str | None
    service: str | None
    urgent: bool
    needs_review: bool
    # A suggestion scored below its head's review threshold; `classified`: the models have seen the case.
    low_confidence: bool
    classified: bool
    # The area Children's Team the text names (used when the service is childrens_team).
    area_team: str | None
    received_at: datetime
    due_on: date | None


class CasePage(BaseModel):
    total: int
    cases: list[CaseSummary]
