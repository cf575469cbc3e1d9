"""Form validation: each answer is read (actions.parse), checked, and either kept or asked for again.

The feedback form's questions depend on earlier answers: the child's agreement only when someone writes
on behalf of a child, contact details only when they want a reply, and for compliments and comments no
questions about who they are. Nothing asked is more than the case needs.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import parse, texts
from actions.config import load

Slots = dict[str, Any]
CONTACT_SLOTS = ("contact_name", "contact_email", "contact_phone")
# The slots each part of the summary stands for, cleared when the person asks to change that part.
PART_SLOTS = {
    "description": ("description",),
    "role": ("complainant_role", "on_behalf_of_child", "child_agrees"),
    "child": ("on_behalf_of_child", "child_agrees"),
    "service": ("service",),
    "contact": ("wants_reply", *CONTACT_SLOTS),
}


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _anonymous(dispatcher: CollectingDispatcher) -> Slots:
    dispatcher.utter_message(
        text="OK, you will stay anonymous. We will look into what you've told us, but we will not be able to "
        "reply to you or tell you the outcome."
    )
    return {"wants_reply": False, **{slot: None for slot in CONTACT_SLOTS}}


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """Only the questions this case needs, in the order a person would expect them."""
        case_type = tracker.get_slot("case_type")
        needed = ["description"]
        urgent = tracker.get_slot("urgent") is True
        if urgent:
            # A child at risk: who is telling us, and how to reach them. The front door owns it whatever the service.
            needed.append("complainant_role")
        elif case_type in (None, "complaint"):
            needed.append("complainant_role")
            role = tracker.get_slot("complainant_role")
            if role is not None and role != "young_person":
                needed.append("on_behalf_of_child")
                if tracker.get_slot("on_behalf_of_child") is True:
                    needed.append("child_agrees")
        needed += ["wants_reply"] if urgent else ["service", "wants_reply"]
        if tracker.get_slot("wants_reply") is not False:
            needed += ["contact_name", "contact_email", "contact_phone"]
        if tracker.get_slot("fix_part") == "append":
            needed.append("more")
        needed.append("confirmed")
        return needed

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        text = parse.clean_text(str(value or ""))
        if not text:
            dispatcher.utter_message(text="I didn't catch anything there. Please tell me what happened.")
            return {"description": None}
        if len(text) > parse.MAX_TEXT_CHARS:
            dispatcher.utter_message(
                text=f"That is longer than I can send in one message ({parse.MAX_TEXT_CHARS:,} characters; yours "
                f"has {len(text):,}). Please send the most important part here; you can email the rest to us "
                "afterwards, quoting your reference."
            )
            return {"description": None}
        if parse.danger_now(text) and not tracker.get_slot("urgent"):
            # The classifier read it as an ordinary answer, but it says a child is at risk now.
            dispatcher.utter_message(text=texts.emergency(load()))
            label = tracker.get_slot("service_label") or "childrens_initial_response"
            return {"description": text, "urgent": True, "service_label": label}
        return {"description": text}

    def validate_complainant_role(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        role = parse.role(str(value or ""))
        if role is None:
            dispatcher.utter_message(
                text="Sorry, I didn't catch who you are. Are you the young person, a parent or carer, a foster "
                "carer, a professional, or someone else?"
            )
            return {"complainant_role": None}
        if role == "young_person":
            return {"complainant_role": role, "on_behalf_of_child": False, "child_agrees": None}
        return {"complainant_role": role}

    def validate_on_behalf_of_child(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        answer = False if parse.unsure(said) else parse.yes_no(said, _intent(tracker))
        if answer is None:
            dispatcher.utter_message(text="Please answer yes or no: are you writing on behalf of a child?")
            return {"on_behalf_of_child": None}
        return {"on_behalf_of_child": answer, **({} if answer else {"child_agrees": None})}

    def validate_child_agrees(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if parse.unsure(said):
            return {"child_agrees": "unsure"}
        answer = parse.yes_no(said, _intent(tracker))
        if answer is None:
            dispatcher.utter_message(text="Please answer yes, no or not sure: does the child know and agree?")
            return {"child_agrees": None}
        return {"child_agrees": "yes" if answer else "no"}

    def validate_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = parse.clean_text(str(value or ""))
        if not said:
            dispatcher.utter_message(
                text='I didn\'t catch anything there. Name the service or school, or say "not sure".'
            )
            return {"service": None}
        if parse.unsure(said) or parse.skipped(said):
            return {"service": "unknown"}
        label = parse.service_label(said) or tracker.get_slot("service_label")
        return {"service": said[:300], "service_label": label}

    def validate_wants_reply(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if "anonym" in parse.words(said):
            return _anonymous(dispatcher)
        answer = parse.yes_no(said, _intent(tracker))
        if answer is None:
            dispatcher.utter_message(text='Would you like a reply? Please say yes, or "stay anonymous".')
            return {"wants_reply": None}
        return {"wants_reply": True} if answer else _anonymous(dispatcher)

    def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = parse.clean_text(str(value or ""))
        if "anonym" in parse.words(said):
            return _anonymous(dispatcher)
        name = parse.name(said)
        if name is None:
            dispatcher.utter_message(text="Please tell me the name we should use (up to 200 characters).")
            return {"contact_name": None}
        return {"contact_name": name}

    def validate_contact_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if "anonym" in parse.words(said):
            return _anonymous(dispatcher)
        if parse.no_email(said):
            return {"contact_email": "none"}
        address = parse.email(said)
        if address is None:
            dispatcher.utter_message(
                text="That doesn't look like an email address. Please check it and type it again, like "
                'name@example.com, or say "no email".'
            )
            return {"contact_email": None}
        return {"contact_email": address}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if "anonym" in parse.words(said):
            return _anonymous(dispatcher)
        has_email = tracker.get_slot("contact_email") not in (None, "none")
        number = parse.phone(said)
        if number:
            return {"contact_phone": number}
        if has_email and (parse.skipped(said) or parse.yes_no(said, _intent(tracker)) is False):
            return {"contact_phone": "none"}
        if not has_email:
            dispatcher.utter_message(
                text="Without an email address we need a phone number to reply to you. Please give one, or say "
                '"stay anonymous".'
            )
        else:
            dispatcher.utter_message(
                text='That doesn\'t look like a phone number. Please type it again, or say "skip".'
            )
        return {"contact_phone": None}

    def validate_more(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """More to what happened: added after it, so a long account can come in several messages."""
        more = parse.clean_text(str(value or ""))
        if not more:
            dispatcher.utter_message(text="I didn't catch anything there. What would you like to add?")
            return {"more": None}
        combined = f"{tracker.get_slot('description') or ''}\n\n{more}".strip()
        if len(combined) > parse.MAX_TEXT_CHARS:
            dispatcher.utter_message(
                text=f"With that it would be longer than I can send ({parse.MAX_TEXT_CHARS:,} characters), so "
                "I've kept what you had. You can email the rest to us afterwards, quoting your reference."
            )
            return {"more": None, "fix_part": None}
        return {"description": combined, "more": None, "fix_part": None}

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if parse.wants_to_add(said):
            return {"confirmed": None, "fix_part": "append"}
        parts = parse.parts_to_change(said)
        if parts:
            cleared: Slots = {"confirmed": None, "fix_part": None}
            for part in parts:
                cleared.update({slot: None for slot in PART_SLOTS[part]})
            dispatcher.utter_message(text="OK, let's change that.")
            return cleared
        if "send" in parse.words(said) and "don't" not in parse.words(said):
            return {"confirmed": True, "fix_part": None}
        answer = parse.yes_no(said, _intent(tracker))
        if answer is True:
            return {"confirmed": True, "fix_part": None}
        if answer is False or "change" in parse.words(said):
            return {"confirmed": None, "fix_part": "ask"}
        dispatcher.utter_message(text='Please say "yes" to send it, or tell me which part to change.')
        return {"confirmed": None}


class ValidateStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    def validate_lookup_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        reference = parse.reference(str(value or ""))
        if reference is None:
            dispatcher.utter_message(
                text="That doesn't look like one of our references. They start with FB and look like "
                'FB-7K3M-9QX4. Please check it and type it again, or say "stop".'
            )
            return {"lookup_reference": None}
        return {"lookup_reference": reference}

    def validate_lookup_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        address = parse.email(str(value or ""))
        if address is None:
            dispatcher.utter_message(
                text="That doesn't look like an email address. Please type it again, like name@example.com."
            )
            return {"lookup_email": None}
        return {"lookup_email": address}


class ValidateProcedureForm(FormValidationAction):
    def name(self) -> str:
        return "validate_procedure_form"

    def validate_social_care(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        said = str(value or "")
        if parse.unsure(said):
            return {"social_care": "unsure"}
        answer = parse.yes_no(said, _intent(tracker))
        if answer is None:
            config = load()
            dispatcher.utter_message(
                text=f'Please answer yes or no (or "not sure"). If it\'s easier, {texts.person(config)}.'
            )
            return {"social_care": None}
        return {"social_care": "yes" if answer else "no"}
