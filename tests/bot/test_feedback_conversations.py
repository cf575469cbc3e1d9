"""Giving feedback by chat, over Rasa's REST channel, to a case in the store.

Each test is a person's conversation with the real assistant; the assertions are on what they were told
and on the case the API stored: nothing about the assistant's internals.
"""

from __future__ import annotations

from bot_support import Chat, Stack

from intake.replies import long_date

BUS = "The school bus was 40 minutes late again today and nobody answered the phone at the transport office"


def _through_to_summary(chat: Chat, *, email: str = "jo.bloggs@example.org") -> str:
    reply = chat.script(BUS, "A parent or carer", "Yes", "Yes, they know and agree", "school transport",
                        "Yes, reply to me", "Jo Bloggs", email, "skip")  # fmt: skip
    assert "Shall I send it?" in reply.text, chat.transcript
    return reply.text


def test_a_complaint_in_own_words_becomes_a_case_with_reference_next_steps_and_date(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    greeting = chat.say("hello")
    assert bot_stack.council_phone in greeting.text and "999" in greeting.text
    summary = _through_to_summary(chat)
    assert BUS in summary and "a parent or carer, writing for a child who knows and agrees" in summary
    done = chat.say("Yes, send it")
    reference = done.reference
    assert reference, chat.transcript
    stored = bot_stack.case(reference)
    case = stored.case
    assert (case.channel, case.type, case.procedure, case.stage) == ("web_chat", "complaint", "corporate", 1)
    assert (case.complainant_role, case.on_behalf_of_child, case.child_consents) == ("parent_carer", True, True)
    assert case.service == "school_transport" and not case.urgent
    assert (
        case.contact is not None and case.contact.email == "jo.bloggs@example.org" and case.contact.name == "Jo Bloggs"
    )
    assert stored.messages == [BUS]
    assert case.due_on is not None and f"You will hear from us by {long_date(case.due_on)}." in done.text
    assert "corporate complaints procedure" in done.text and "acknowledge it within 5 working days" in done.text


def test_a_part_can_be_corrected_before_sending_and_only_that_part_changes(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    _through_to_summary(chat, email="jo.old@example.org")
    which = chat.say("Change something")
    assert "Which part" in which.text and "Contact details" in which.buttons
    again = chat.script(
        "Change the contact details", "Yes, reply to me", "Jo Bloggs", "jo.new@example.org", "07700 900123"
    )
    assert "jo.new@example.org, 07700 900123" in again.text and "jo.old" not in again.text
    reference = chat.say("Yes").reference
    assert reference, chat.transcript
    case = bot_stack.case(reference).case
    assert case.contact is not None and (case.contact.email, case.contact.phone) == (
        "jo.new@example.org",
        "07700900123",
    )
    assert case.on_behalf_of_child and case.child_consents  # untouched by the correction


def test_a_young_person_complaining_about_social_care_gets_the_statutory_procedure(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.script(
        "I want to make a complaint", "My social worker has cancelled every visit since September and never rings back"
    )
    summary = chat.script("I'm the young person", "my social worker", "yes", "Sam", "sam@example.org", "no")
    assert "You are: the young person" in summary.text, chat.transcript
    done = chat.say("yes")
    case = bot_stack.case(done.reference or "").case
    assert (case.procedure, case.complainant_role, case.service) == ("statutory", "young_person", "childrens_team")
    assert "set by law" in done.text


def test_an_anonymous_compliment_is_told_there_is_no_reply_and_keeps_no_contact(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    asked = chat.say("I'd like to pay a compliment")
    assert "what you'd like to say" in asked.text
    chat.say("Mrs Patel in the SEND team was brilliant with my son's EHCP")
    offer = chat.say("SEND")
    assert "cannot reply to you" in offer.text and "Stay anonymous" in offer.buttons
    told = chat.say("Stay anonymous")
    assert "not be able to reply" in told.text and "Anonymous" in told.text
    done = chat.say("yes")
    case = bot_stack.case(done.reference or "").case
    assert (case.type, case.procedure, case.contact, case.service) == ("compliment", "feedback", None, "sendar")
    assert "cannot reply to you" in done.text


def test_a_question_without_email_needs_a_phone_number(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.script("can I ask a question", "How do I apply for an in-year school transfer?", "school admissions",
                "yes", "Priya Sharma")  # fmt: skip
    asked = chat.say("I don't have an email address")
    assert "phone" in asked.text
    refused = chat.say("skip")
    assert "need a phone number" in refused.text
    chat.say("01632 960123")
    case = bot_stack.case(chat.say("yes").reference or "").case
    assert case.type == "question" and case.contact is not None
    assert (case.contact.email, case.contact.phone) == (None, "01632960123")


def test_bad_answers_get_a_clear_answer_and_lose_nothing(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.say("I want to make a complaint")
    empty = chat.say("")
    assert "didn't catch anything" in empty.text
    hostile = "<script>alert('x')</script> Robert'); DROP TABLE cases;-- \x00 the taxi never came 🚕"
    chat.script(hostile, "someone else", "no", "not sure", "yes please", "Jo")
    for wrong in ("jo at example dot org", "@example.org", "jo@", "jo@example"):
        assert "doesn't look like an email address" in chat.say(wrong).text
    chat.say("jo@example.org")
    bad_phone = chat.say("call me maybe")
    assert "doesn't look like a phone number" in bad_phone.text
    chat.say("skip")
    case = bot_stack.case(chat.say("yes").reference or "")
    assert case.messages == [hostile.replace("\x00", "").strip()]
    assert case.case.contact is not None and case.case.contact.email == "jo@example.org"


def test_a_message_longer_than_a_case_can_hold_is_refused_with_the_limit(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.say("I want to make a complaint")
    huge = ("The transport was late again. " * 3500).strip()  # about 105,000 characters
    reply = chat.say(huge)
    assert "longer than I can send" in reply.text and "100,000" in reply.text
    long_but_fine = ("The transport was late again. " * 3000).strip()  # about 90,000 characters: kept whole
    assert "Who are you" in chat.say(long_but_fine).text


def test_stop_sends_nothing_and_start_again_clears_the_form(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    before = bot_stack.case_count()
    chat.script(BUS, "A parent or carer")
    stopped = chat.say("stop")
    assert "Nothing has been sent" in stopped.text
    assert "I didn't understand" not in chat.say("hello").text
    chat.script(BUS, "A parent or carer")
    restarted = chat.say("start again")
    assert "let's start again" in restarted.text and "Nothing has been sent" in restarted.text
    # The form is gone: a yes now is not taken as an answer to a question that is no longer asked.
    assert "Does the child know" not in chat.say("hello").text
    assert bot_stack.case_count() == before


def test_when_the_api_is_down_the_person_is_told_and_nothing_is_lost(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    _through_to_summary(chat, email="kept@example.org")
    bot_stack.api.stop()
    try:
        failed = chat.say("Yes, send it")
    finally:
        bot_stack.api.start()
    assert "couldn't send it just now" in failed.text and "Nothing you told me is lost" in failed.text
    assert "Shall I send it?" in failed.text and BUS in failed.text  # the summary is back, whole
    done = chat.say("yes")
    case = bot_stack.case(done.reference or "").case
    assert case.contact is not None and case.contact.email == "kept@example.org"
    assert bot_stack.case(case.reference).messages == [BUS]


def test_a_second_yes_after_sending_opens_no_second_case(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    _through_to_summary(chat)
    assert chat.say("Yes, send it").reference
    count = bot_stack.case_count()
    again = chat.say("Yes, send it")
    assert again.reference is None and bot_stack.case_count() == count
    assert "nothing waiting to be sent" in again.text or "didn't understand" in again.text, chat.transcript


def test_a_long_account_can_come_in_several_messages(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    _through_to_summary(chat)
    asked = chat.say("I want to add more")
    assert "What would you like to add?" in asked.text
    summary = chat.say("It happened again on Friday and my son missed his maths exam.")
    assert "Shall I send it?" in summary.text and "Add more" in summary.buttons
    case = bot_stack.case(chat.say("yes").reference or "")
    assert case.messages == [f"{BUS}\n\nIt happened again on Friday and my son missed his maths exam."]
