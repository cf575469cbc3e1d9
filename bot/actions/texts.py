"""What the assistant says that depends on configuration or on the case: built here, in one place.

Numbers (the council's phone line, its hours, the children's front door) come from the action server's
configuration, so the chat never promises anything other than what the emails and the status page say.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from actions.api import CaseStatus
from actions.config import BotConfig
from actions.parse import ROLE_WORDS

TYPE_WORDS = {"complaint": "complaint", "compliment": "compliment", "comment": "comment", "question": "question"}
STAGE_NAMES = {
    "statutory": {
        1: "stage 1 (local resolution)",
        2: "stage 2 (independent investigation)",
        3: "stage 3 (independent review panel)",
    },
    "corporate": {1: "stage 1 (a response from the service)", 2: "stage 2 (a review of your complaint)"},
}
SUMMARY_QUOTE_CHARS = 300

MAIN_BUTTONS = [
    {"title": "Make a complaint", "payload": "I want to make a complaint"},
    {"title": "Pay a compliment", "payload": "I'd like to pay a compliment"},
    {"title": "Ask a question", "payload": "I have a question"},
    {"title": "Leave a comment", "payload": "I want to leave a comment"},
    {"title": "Where is my case?", "payload": "Where is my case?"},
    {"title": "How do complaints work?", "payload": "How do complaints work?"},
]
CONFIRM_BUTTONS = [
    {"title": "Yes, send it", "payload": "Yes, send it"},
    {"title": "Add more", "payload": "I want to add more"},
    {"title": "Change something", "payload": "Change something"},
]
PART_BUTTONS = [
    {"title": "What happened", "payload": "Change what happened"},
    {"title": "Who I am", "payload": "Change who I am"},
    {"title": "The service or school", "payload": "Change the service"},
    {"title": "Contact details", "payload": "Change the contact details"},
]


def person(config: BotConfig) -> str:
    return f"call {config.council_phone} ({config.council_hours})"


def greeting(config: BotConfig) -> str:
    return (
        f"Hello, I'm {config.council_name}'s feedback assistant for children's and education services. I can:\n"
        "- take a complaint, or a compliment, comment or question, and pass it to the right team\n"
        "- tell you where your case is, with its reference\n"
        "- explain how complaints work\n"
        f"If you'd rather talk to a person, {person(config)}.\n"
        "If a child is in danger right now, call 999."
    )


def emergency(config: BotConfig) -> str:
    return (
        "If a child is in immediate danger, call 999 now.\n"
        f"To report that a child is at risk of harm, call our children's front door on {config.front_door_phone} "
        "(out of hours too). If you are a young person and need to talk, you can call Childline free on 0800 1111."
    )


def after_emergency() -> str:
    return (
        "I will pass what you've told me to our children's team marked as urgent, so they see it first. If you "
        'can, answer a few questions so they can follow it up; say "stop" at any time.'
    )


def talk_to_person(config: BotConfig) -> str:
    return (
        f"You can talk to a person: {person(config)}. "
        "Outside those hours you can leave your feedback here and we will pick it up on the next working day."
    )


def fallback(config: BotConfig, *, twice: bool) -> str:
    text = (
        "Sorry, I didn't understand that. I can take a complaint, compliment, comment or question about "
        "children's or education services, tell you where your case is, or explain how complaints work."
    )
    if twice:
        text += f" It might be easier to talk to a person: {person(config)}."
    return text


def summary(slots: dict[str, Any]) -> str:
    """The short read-back before anything is sent."""
    kind = TYPE_WORDS.get(slots.get("case_type") or "", "message")
    said = slots.get("description") or ""
    quoted = said if len(said) <= SUMMARY_QUOTE_CHARS else said[:SUMMARY_QUOTE_CHARS].rstrip() + "…"
    label = "What happened" if kind in ("complaint", "message") else "Your message"
    lines = [f"Here is what I'll send as your {kind}:", f'- {label}: "{quoted}"']
    role = slots.get("complainant_role")
    if role:
        who = f"- You are: {ROLE_WORDS.get(role, 'someone else')}"
        if slots.get("on_behalf_of_child") is True:
            agrees = slots.get("child_agrees")
            who += ", writing for a child" + {
                "yes": " who knows and agrees",
                "no": " who does not know or agree",
                "unsure": "",
            }.get(agrees or "", "")
        lines.append(who)
    service = slots.get("service")
    lines.append(f"- About: {service}" if service and service != "unknown" else "- About: not known")
    if slots.get("wants_reply") is False:
        lines.append("- Anonymous: we will not be able to reply to you")
    else:
        contact = [
            value
            for value in (slots.get("contact_name"), slots.get("contact_email"), slots.get("contact_phone"))
            if value and value != "none"
        ]
        lines.append("- Reply to: " + ", ".join(contact))
    if slots.get("urgent"):
        lines.append("- Marked urgent: a child may be at risk")
    lines.append("Shall I send it?")
    return "\n".join(lines)


def submitted(reference: str, case_type: str, steps: list[str], due_on: str | None, *, anonymous: bool) -> str:
    kind = TYPE_WORDS.get(case_type, "message")
    lines = [f"Thank you. Your {kind} has been sent. Your reference is {reference} - please keep it."]
    lines.extend(steps)
    if due_on and case_type != "compliment" and not anonymous:
        lines.append(f"You will hear from us by {long_date(due_on)}.")
    if anonymous:
        lines.append("As you chose to stay anonymous, we cannot reply to you, but the team will look into it.")
    else:
        lines.append('You can ask me "where is my case?" at any time, with this reference and your email address.')
    return "\n".join(lines)


def status_answer(found: CaseStatus) -> str:
    kind = TYPE_WORDS.get(found.case_type, "case")
    if found.status != "open":
        return (
            f"Your {kind} {found.reference} has been closed. If you have questions about the outcome, reply to "
            "our last email or call us."
        )
    stage = STAGE_NAMES.get(found.procedure, {}).get(found.stage, f"stage {found.stage}")
    where = f"is at {stage}" if found.procedure != "feedback" else "is being looked at"
    team = found.team if found.team.lower().endswith("team") else f"{found.team} team"
    text = f"Your {kind} {found.reference} {where}, with our {team}."
    if found.due_on:
        text += f" We aim to respond by {long_date(found.due_on)}."
    return text


def long_date(iso: str) -> str:
    """'Wednesday 9 December 2026', as the emails write it."""
    day = date.fromisoformat(iso)
    return f"{day:%A} {day.day} {day:%B %Y}"
