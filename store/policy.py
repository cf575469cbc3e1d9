"""Complaint procedures and their timescales, in working days, as configured in `config.yml`.

The defaults are the legal and regulatory ones:
- statutory: Children Act 1989 Representations Procedure (England) Regulations 2006 — complaints by or for
  a child about children's social care;
- corporate: the Local Government and Social Care Ombudsman's Complaint Handling Code — every other complaint;
- feedback: questions, comments and compliments, which follow no complaint procedure but get a response target.

"Extendable to N" is held as `limit_days`: the furthest a stage's response may be extended, counted from the
same start as `response_days`, so "10, extendable by 10" is response_days=10, limit_days=20.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Procedure = Literal["statutory", "corporate", "feedback"]
PROCEDURES: Final = ("statutory", "corporate", "feedback")

# Services whose complaints, when raised by or for a child, fall under the statutory procedure.
DEFAULT_STATUTORY_SERVICES: Final = (
    "childrens_initial_response",
    "childrens_team",
    "fostering",
    "adoption",
    "disabled_children",
    "leaving_care",
)


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseTimescale(_Policy):
    """A stage response: due `response_days` after its start, extendable up to `limit_days` after it."""

    response_days: int = Field(ge=1, le=250)
    limit_days: int = Field(ge=1, le=250)
    # Corporate stages start their response clock at acknowledgement, which is itself due in this many days.
    acknowledge_days: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _limit_not_shorter(self) -> ResponseTimescale:
        if self.limit_days < self.response_days:
            raise ValueError("limit_days must be at least response_days")
        return self


class PanelTimescale(_Policy):
    """Statutory stage 3: the review panel, its report, and the council's response to it."""

    panel_days: int = Field(30, ge=1, le=250)
    report_days: int = Field(5, ge=1, le=250)
    council_response_days: int = Field(15, ge=1, le=250)


class StatutoryPolicy(_Policy):
    services: tuple[str, ...] = DEFAULT_STATUTORY_SERVICES
    stage1: ResponseTimescale = ResponseTimescale(response_days=10, limit_days=20)
    stage2: ResponseTimescale = ResponseTimescale(response_days=25, limit_days=65)
    stage3: PanelTimescale = PanelTimescale()
    # Working days the complainant has, after a stage's response, to ask for the next stage.
    request_window_days: int = Field(20, ge=1, le=250)


class CorporatePolicy(_Policy):
    stage1: ResponseTimescale = ResponseTimescale(response_days=10, limit_days=20, acknowledge_days=5)
    stage2: ResponseTimescale = ResponseTimescale(response_days=20, limit_days=40, acknowledge_days=5)
    request_window_days: int = Field(20, ge=1, le=250)

    @model_validator(mode="after")
    def _acknowledged(self) -> CorporatePolicy:
        if self.stage1.acknowledge_days is None or self.stage2.acknowledge_days is None:
            raise ValueError("corporate stages need acknowledge_days")
        return self


class FeedbackPolicy(_Policy):
    """Questions, comments and compliments: one response target."""

    response_days: int = Field(10, ge=1, le=250)


class ProcedurePolicy(_Policy):
    statutory: StatutoryPolicy = StatutoryPolicy()
    corporate: CorporatePolicy = CorporatePolicy()
    feedback: FeedbackPolicy = FeedbackPolicy()

    def last_stage(self, procedure: Procedure) -> int:
        """Stage 3 (the panel) exists only in the statutory procedure; after corporate stage 2 comes the LGSCO."""
        return {"statutory": 3, "corporate": 2, "feedback": 1}[procedure]

    def decide(
        self, *, case_type: str, service: str | None, raised_by_child: bool, on_behalf_of_child: bool
    ) -> Procedure:
        """Which procedure applies: complaints by or for a child about children's social care are statutory."""
        if case_type != "complaint":
            return "feedback"
        if service in self.statutory.services and (raised_by_child or on_behalf_of_child):
            return "statutory"
        return "corporate"
