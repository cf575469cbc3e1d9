"""Plain-words explanations of the complaint procedures, for channels that explain them (the chat assistant).

Built from the configured `ProcedurePolicy`, so what the assistant says is what the clocks run on; the
first steps of a new case are the acknowledgement email's own sentences (`intake.replies.next_steps`).
Public and read-only: it says nothing about any case.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from feedback.api.auth import App
from feedback.api.schemas import CaseType
from intake.replies import OMBUDSMAN, AckFacts, next_steps
from store.policy import CorporatePolicy, FeedbackPolicy, ProcedurePolicy, ResponseTimescale, StatutoryPolicy

router = APIRouter(prefix="/api", tags=["citizens"])


class ProcedureGuide(BaseModel):
    procedure: str
    # Every stage and its time limits, for "how do complaints work?".
    overview: list[str]
    # What happens next for a case just opened under this procedure (stage 1), as the acknowledgement says.
    first_steps: list[str]


@router.get("/procedures/{procedure}", response_model=ProcedureGuide)
def procedure_guide(
    procedure: Literal["statutory", "corporate", "feedback"],
    app: App,
    type: Annotated[CaseType, Query()] = "complaint",
) -> ProcedureGuide:
    """How a procedure works, in plain words, with the configured time limits."""
    policy = app.settings.procedures
    case_type = type if procedure == "feedback" else "complaint"
    facts = AckFacts(reference="", case_type=case_type, procedure=procedure, stage=1, due_on=None, contact_name=None)
    return ProcedureGuide(
        procedure=procedure, overview=overview(procedure, policy), first_steps=next_steps(facts, policy)
    )


def overview(procedure: str, policy: ProcedurePolicy) -> list[str]:
    if procedure == "statutory":
        return _statutory(policy.statutory)
    if procedure == "corporate":
        return _corporate(policy.corporate)
    return _feedback(policy.feedback)


def _extension(timescale: ResponseTimescale) -> str:
    if timescale.limit_days <= timescale.response_days:
        return ""
    return f" (up to {timescale.limit_days} if it needs longer, and we will tell you why)"


def _statutory(policy: StatutoryPolicy) -> list[str]:
    panel = policy.stage3
    return [
        "Complaints by or for a child about children's social care follow a procedure set by law, in up to "
        "three stages.",
        "Stage 1, local resolution: the team involved looks into it and responds within "
        f"{policy.stage1.response_days} working days{_extension(policy.stage1)}.",
        f"Stage 2, independent investigation: if you are not satisfied, you can ask for it within "
        f"{policy.request_window_days} working days of our response. Someone independent of the team investigates, "
        f"and we respond within {policy.stage2.response_days} working days{_extension(policy.stage2)}.",
        "Stage 3, independent review panel: if you are still not satisfied, a panel reviews your complaint within "
        f"{panel.panel_days} working days, sends its findings within {panel.report_days} working days, and we "
        f"respond to them within {panel.council_response_days} working days.",
        OMBUDSMAN,
    ]


def _corporate(policy: CorporatePolicy) -> list[str]:
    one, two = policy.stage1, policy.stage2
    return [
        "Complaints about our other services follow the council's complaints procedure, in two stages.",
        f"Stage 1: we acknowledge your complaint within {one.acknowledge_days} working days, and the service "
        f"responds within {one.response_days} working days of that{_extension(one)}.",
        f"Stage 2: if you are not satisfied, you can ask within {policy.request_window_days} working days for a "
        f"review. We acknowledge it within {two.acknowledge_days} working days and respond within "
        f"{two.response_days} working days{_extension(two)}.",
        OMBUDSMAN,
    ]


def _feedback(policy: FeedbackPolicy) -> list[str]:
    return [
        f"Questions and comments get a reply within {policy.response_days} working days; compliments are "
        "passed on to the team they are about."
    ]
