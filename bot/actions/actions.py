"""The assistant's custom actions: greet, start and submit feedback, look a case up, explain a procedure,
give the emergency routes, offer a person, and the fallback.

Submitting opens the case through the API (POST /api/cases), as any channel does. When the API is down
or refuses a detail, the person is told plainly, nothing they said is dropped, and the summary comes back
so they can send it again.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import api, parse, texts
from actions.config import load

logger = logging.getLogger(__name__)

FEEDBACK_SLOTS = (
    "case_type",
    "description",
    "complainant_role",
    "on_behalf_of_child",
    "child_agrees",
    "service",
    "service_label",
    "wants_reply",
    "contact_name",
    "contact_email",
    "contact_phone",
    "confirmed",
    "more",
    "fix_part",
)
LOOKUP_SLOTS = ("lookup_reference", "lookup_email")
TYPE_FOR_INTENT = {
    "complain": "complaint",
    "compliment": "compliment",
    "comment": "comment",
    "ask_question": "question",
}
# A first message this long is taken as the person's account itself ("the bus was late again…"), not a
# request to start ("I'd like to make a complaint"), so they are not asked to say it twice.
ACCOUNT_MIN_WORDS = 10
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
SLOT_FOR_FIELD = {
    "email": "contact_email",
    "phone": "contact_phone",
    "name": "contact_name",
    "text": "description",
    "subject": "service",
}
NOT_FOUND = (
    "We could not find a case with that reference and email address. Please check both and try again "
    '(say "where is my case?"), or call us.'
)


def _reset(slots: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(slot, None) for slot in slots]


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.greeting(load()), buttons=texts.MAIN_BUTTONS)
        return []


class ActionStartFeedback(Action):
    """Note the kind of feedback from how they asked, and keep their first message if it already tells it."""

    def name(self) -> str:
        return "action_start_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        events: list[EventType] = [
            *_reset(FEEDBACK_SLOTS),
            SlotSet("case_type", TYPE_FOR_INTENT.get(_intent(tracker) or "")),
        ]
        if parse.danger_now(text):
            events += urgent(dispatcher, tracker)
        if len(text.split()) >= ACCOUNT_MIN_WORDS:
            events.append(SlotSet("description", parse.clean_text(text)))
            dispatcher.utter_message(
                text="Thank you for telling me. I'll ask a few questions so it reaches the right team."
            )
        return events


def urgent(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The emergency routes, said first, and the case marked urgent for the children's front door."""
    dispatcher.utter_message(text=texts.emergency(load()))
    return [
        SlotSet("urgent", True),
        SlotSet("service_label", tracker.get_slot("service_label") or "childrens_initial_response"),
    ]


class ActionEmergency(Action):
    """A child in danger now: the emergency routes before anything else, then the case is marked urgent."""

    def name(self) -> str:
        return "action_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events: list[EventType] = urgent(dispatcher, tracker)
        said = parse.clean_text(tracker.latest_message.get("text") or "")
        before = tracker.get_slot("description")
        description = f"{before}\n\n{said}" if before and said and said not in before else (before or said)
        events += [*_reset(LOOKUP_SLOTS), SlotSet("description", description or None)]
        if tracker.active_loop_name not in (None, "feedback_form"):
            events.append(ActiveLoop(None))
        dispatcher.utter_message(text=texts.after_emergency())
        return events


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        slots = {slot: tracker.get_slot(slot) for slot in (*FEEDBACK_SLOTS, "urgent")}
        if not slots["description"] or slots["confirmed"] is not True:
            # Only a confirmed summary is sent: a second "yes" (a double click) must not open another case.
            dispatcher.utter_message(
                text="There is nothing waiting to be sent. How else can I help?", buttons=texts.MAIN_BUTTONS
            )
            return []
        body = case_body(slots)
        try:
            opened = await api.open_case(body)
        except api.ApiRefused as refused:
            again = sorted({SLOT_FOR_FIELD[field] for field in refused.fields if field in SLOT_FOR_FIELD})
            logger.warning("the API refused a chat case: fields %s", sorted(refused.fields))
            what = ", ".join(slot.replace("contact_", "your ").replace("_", " ") for slot in again) or "some details"
            dispatcher.utter_message(
                text=f"Our case system could not accept {what}. Please give it again; nothing else is lost."
            )
            return [*_reset(tuple(again)), SlotSet("confirmed", None), FollowupAction("feedback_form")]
        except api.ApiUnavailable as error:
            logger.error("could not open a chat case: %s", error)
            config = load()
            dispatcher.utter_message(
                text="Sorry, I couldn't send it just now: our case system did not answer. Nothing you told me is "
                f'lost. Say "yes" to try again in a moment, or {texts.person(config)}.'
            )
            return [SlotSet("confirmed", None), FollowupAction("feedback_form")]
        steps = await _first_steps(opened.procedure, opened.case_type)
        anonymous = slots["wants_reply"] is False
        dispatcher.utter_message(
            text=texts.submitted(opened.reference, opened.case_type, steps, opened.due_on, anonymous=anonymous)
        )
        return [*_reset(FEEDBACK_SLOTS), SlotSet("urgent", False), SlotSet("requested_slot", None)]


async def _first_steps(procedure: str, case_type: str) -> list[str]:
    try:
        return (await api.procedure_guide(procedure, case_type)).first_steps
    except api.ApiUnavailable as error:
        logger.warning("no procedure text for the reply: %s", error)
        return []


def case_body(slots: dict[str, Any]) -> dict[str, Any]:
    """POST /api/cases's body from the form's slots; "none" marks a detail the person chose not to give."""
    anonymous = slots.get("wants_reply") is False
    role = slots.get("complainant_role") or "other"
    on_behalf = slots.get("on_behalf_of_child") is True
    body: dict[str, Any] = {
        "channel": "web_chat",
        "text": slots.get("description") or "",
        "complainant_role": role,
        "on_behalf_of_child": on_behalf,
        "anonymous": anonymous,
        "urgent": bool(slots.get("urgent")),
    }
    if slots.get("case_type"):
        body["type"] = slots["case_type"]
    service = slots.get("service")
    if service and service != "unknown":
        body["subject"] = f"About: {service}"[:300]
    if slots.get("service_label"):
        body["service"] = slots["service_label"]
    if on_behalf and slots.get("child_agrees") in ("yes", "no"):
        body["child_knows_and_agrees"] = slots["child_agrees"] == "yes"
    if not anonymous:
        contact = {key: slots.get(f"contact_{key}") for key in ("name", "email", "phone")}
        body["contact"] = {key: value for key, value in contact.items() if value and value != "none"}
    return body


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = tracker.get_slot("lookup_reference") or ""
        email = tracker.get_slot("lookup_email") or ""
        config = load()
        try:
            found = await api.case_status(reference, email, tracker.sender_id)
        except api.TooManyLookups:
            dispatcher.utter_message(
                text="There have been too many unsuccessful attempts. Please wait a few minutes and try again, "
                f"or {texts.person(config)}."
            )
        except api.ApiUnavailable as error:
            logger.error("status lookup failed: %s", error)
            dispatcher.utter_message(
                text=f"Sorry, I can't check cases just now. Please try again later, or {texts.person(config)}."
            )
        else:
            dispatcher.utter_message(text=texts.status_answer(found) if found else NOT_FOUND)
        # The email was needed for this one lookup only: it is not kept in the conversation.
        return _reset(LOOKUP_SLOTS)


class ActionExplainProcedure(Action):
    def name(self) -> str:
        return "action_explain_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        answer = tracker.get_slot("social_care")
        procedures = {"yes": ["statutory"], "no": ["corporate"]}.get(answer or "", ["statutory", "corporate"])
        config = load()
        try:
            guides = [await api.procedure_guide(procedure) for procedure in procedures]
            feedback = await api.procedure_guide("feedback", "question")
        except api.ApiUnavailable as error:
            logger.error("procedure text unavailable: %s", error)
            dispatcher.utter_message(
                text=f"Sorry, I can't fetch that just now. Please try again later, or {texts.person(config)}."
            )
            return [SlotSet("social_care", None)]
        if len(guides) > 1:
            dispatcher.utter_message(text="It depends on what the complaint is about, so here are both:")
        for guide in guides:
            dispatcher.utter_message(text="\n".join(guide.overview))
        dispatcher.utter_message(
            text="\n".join(feedback.overview) + "\nWould you like to make a complaint now?",
            buttons=[{"title": "Make a complaint", "payload": "I want to make a complaint"}],
        )
        return [SlotSet("social_care", None)]


class ActionTalkToPerson(Action):
    def name(self) -> str:
        return "action_talk_to_person"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.talk_to_person(load()))
        return []


class ActionFallback(Action):
    """Unclear or out-of-scope: say what the assistant can do; the second miss in a row offers a person."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        misses = 0
        for event in reversed(tracker.events):
            if event.get("event") != "user":
                continue
            if ((event.get("parse_data") or {}).get("intent") or {}).get("name") in FALLBACK_INTENTS:
                misses += 1
            else:
                break
        if parse.danger_now(tracker.latest_message.get("text") or ""):
            # Not understood, but it says a child is at risk now: the emergency routes come first regardless.
            dispatcher.utter_message(text=texts.emergency(load()))
        dispatcher.utter_message(text=texts.fallback(load(), twice=misses >= 2), buttons=texts.MAIN_BUTTONS)
        return []


class ActionStop(Action):
    def name(self) -> str:
        return "action_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        started = tracker.active_loop_name is not None or tracker.get_slot("description")
        message = "OK, I've stopped. Nothing has been sent." if started else "OK."
        dispatcher.utter_message(text=f"{message} If you need anything else, just say hello.")
        return [
            ActiveLoop(None),
            *_reset((*FEEDBACK_SLOTS, *LOOKUP_SLOTS, "social_care", "requested_slot")),
            SlotSet("urgent", False),
        ]


class ActionAskConfirmed(Action):
    """The read-back before sending, or, when they want to change something, which part."""

    def name(self) -> str:
        return "action_ask_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("fix_part") == "ask":
            dispatcher.utter_message(text="Which part would you like to change?", buttons=texts.PART_BUTTONS)
            return []
        slots = {slot: tracker.get_slot(slot) for slot in (*FEEDBACK_SLOTS, "urgent")}
        dispatcher.utter_message(text=texts.summary(slots), buttons=texts.CONFIRM_BUTTONS)
        return []
