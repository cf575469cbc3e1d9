"""What we send: the acknowledgement a citizen gets and the notice a case's owners get, as text and HTML.

The acknowledgement tells a person, in plain words, what happens next under their case's procedure, with
the timescales taken from the configured `ProcedurePolicy` so the letter never promises other numbers
than the clocks run on. It carries no classifier output and nothing about a child. Owner notifications go
to shared staff mailboxes, so they carry the reference and a link, never the message or personal details.

Layout lives in Jinja2 templates beside this module (`*.html` autoescaped); the procedure sentences are
built here once and shared by both formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from intake.config import CouncilSettings
from store.outbox import Outgoing
from store.policy import CorporatePolicy, FeedbackPolicy, ProcedurePolicy, ResponseTimescale, StatutoryPolicy

STATUS_PATH: Final = "/status"
CASE_PATH: Final = "/api/cases/"
OMBUDSMAN: Final = (
    "If you are still not satisfied after our final response, you can ask the Local Government and "
    "Social Care Ombudsman to look at your complaint."
)
STATUTORY_STAGES: Final = {1: "local resolution", 2: "an independent investigation", 3: "an independent review panel"}
CORPORATE_STAGES: Final = {1: "a response from the service", 2: "a review of your complaint and our response"}
TYPE_WORDS: Final = {"complaint": "complaint", "compliment": "compliment", "comment": "comment", "question": "question"}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class AckFacts:
    """What an acknowledgement may say about a case: deliberately no text, category or child details."""

    reference: str
    case_type: str
    procedure: str
    stage: int
    due_on: date | None
    contact_name: str | None


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str

    def to_staff(
        self, *, kind: str, to_address: str, dedupe_key: str, case_id: int | None = None, urgent: bool = False
    ) -> Outgoing:
        """This mail as an outbox message to staff: marked automatic (so no auto-reply answers it), and
        high-importance when it is urgent."""
        headers = {"Auto-Submitted": "auto-generated"}
        if urgent:
            headers |= {"Importance": "high", "X-Priority": "1"}
        return Outgoing(
            kind=kind,
            to_address=to_address,
            subject=self.subject,
            body_text=self.text,
            body_html=self.html,
            dedupe_key=dedupe_key,
            case_id=case_id,
            headers=headers,
        )


def acknowledgement(
    case: AckFacts, *, council: CouncilSettings, policy: ProcedurePolicy, public_url: str
) -> RenderedMail:
    """The automatic reply to a new case: its reference, what happens next and by when, how to reach a person."""
    kind = TYPE_WORDS.get(case.case_type, "message")
    context = {
        "name": case.contact_name.strip() if case.contact_name else None,
        "kind": kind,
        "reference": case.reference,
        "steps": next_steps(case, policy),
        # A compliment is passed on; promising a reply date would read oddly.
        "reply_by": long_date(case.due_on) if case.due_on and case.case_type != "compliment" else None,
        "status_url": public_url.rstrip("/") + STATUS_PATH,
        "council": council,
    }
    return _render("acknowledgement", f"[{case.reference}] We have received your {kind}", context)


def owner_notification(
    *, reference: str, team_name: str, stage: int, due_on: date | None, public_url: str, what: str
) -> RenderedMail:
    """A notice to the owning team or officer that something happened on a case, with a link to it."""
    context = {
        "what": what,
        "reference": reference,
        "team_name": team_name,
        "stage": stage,
        "due": long_date(due_on) if due_on else None,
        "case_url": public_url.rstrip("/") + CASE_PATH + reference,
    }
    headline = " ".join(what.split()).rstrip(".")  # one line, whatever the caller passed
    return _render("owner_notification", f"[{reference}] {headline}", context)


def next_steps(case: AckFacts, policy: ProcedurePolicy) -> list[str]:
    """What happens next, in plain sentences, under the case's procedure and stage."""
    if case.procedure == "statutory":
        return _statutory_steps(case.stage, policy.statutory)
    if case.procedure == "corporate":
        return _corporate_steps(case.stage, policy.corporate)
    return _feedback_steps(TYPE_WORDS.get(case.case_type, "message"), policy.feedback)


def long_date(day: date) -> str:
    """'Wednesday 9 December 2026': the day named, no leading zero, as people write it."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _statutory_steps(stage: int, policy: StatutoryPolicy) -> list[str]:
    intro = (
        "Your complaint will be handled under the complaints procedure for children's social care, which is "
        f"set by law. It is at stage {stage}: {STATUTORY_STAGES.get(stage, 'a further stage')}."
    )
    if stage >= 3:
        panel = policy.stage3
        return [
            intro,
            f"The panel will meet within {panel.panel_days} working days. It will send its findings within "
            f"{panel.report_days} working days of meeting, and we will respond to them within "
            f"{panel.council_response_days} working days.",
            OMBUDSMAN,
        ]
    timescale = policy.stage1 if stage == 1 else policy.stage2
    return [intro, _response_sentence(timescale), _next_stage_sentence(stage + 1, STATUTORY_STAGES, policy)]


def _corporate_steps(stage: int, policy: CorporatePolicy) -> list[str]:
    timescale = policy.stage1 if stage == 1 else policy.stage2
    steps = [
        f"Your complaint will be handled under our corporate complaints procedure, at stage {stage}: "
        f"{CORPORATE_STAGES.get(stage, 'a further stage')}.",
        f"A member of staff will acknowledge it within {timescale.acknowledge_days} working days, and we aim to "
        f"respond within {timescale.response_days} working days of that acknowledgement.",
    ]
    if timescale.limit_days > timescale.response_days:
        steps.append(
            "If your complaint needs longer to look into, we will tell you why; our response may then take up "
            f"to {timescale.limit_days} working days from the acknowledgement."
        )
    steps.append(OMBUDSMAN if stage >= 2 else _next_stage_sentence(2, CORPORATE_STAGES, policy))
    return steps


def _feedback_steps(kind: str, policy: FeedbackPolicy) -> list[str]:
    if kind == "compliment":
        return ["We are glad to hear it, and will pass your compliment on to the team it is about."]
    return [f"We aim to reply to your {kind} within {policy.response_days} working days."]


def _response_sentence(timescale: ResponseTimescale) -> str:
    sentence = f"We aim to respond within {timescale.response_days} working days."
    if timescale.limit_days > timescale.response_days:
        sentence += (
            " If your complaint needs longer to look into, we will tell you why, and the time may be extended "
            f"to {timescale.limit_days} working days."
        )
    return sentence


def _next_stage_sentence(stage: int, names: dict[int, str], policy: StatutoryPolicy | CorporatePolicy) -> str:
    return (
        f"If you are not satisfied with our response, you can ask for your complaint to go to stage {stage} "
        f"({names[stage]}) within {policy.request_window_days} working days of receiving it."
    )


def _render(name: str, subject: str, context: dict[str, Any]) -> RenderedMail:
    text = templates.get_template(f"{name}.txt").render(context)
    html = templates.get_template(f"{name}.html").render(context)
    return RenderedMail(subject=subject, text=text, html=html)
