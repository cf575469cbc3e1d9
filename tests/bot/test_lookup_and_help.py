"""Where is my case, how complaints work, a child in danger, and what the assistant does when it is lost."""

from __future__ import annotations

from bot_support import Stack

from intake.replies import long_date


def test_where_is_my_case_answers_stage_team_and_date_with_the_right_details(bot_stack: Stack) -> None:
    opened = bot_stack.open_case(
        text="The EHCP review is late.", contact={"email": "kim@example.org"}, service="sendar"
    )
    chat = bot_stack.conversation()
    assert "reference" in chat.say("where's my complaint up to?").text
    assert "email" in chat.say(f"it's {opened['reference'].lower().replace('-', ' ')}").text
    answer = chat.say("kim@example.org").text
    case = bot_stack.case(opened["reference"]).case
    assert case.due_on is not None
    assert f"{opened['reference']} is at stage 1" in answer
    assert "Customer Relations Team" in answer and long_date(case.due_on) in answer


def test_a_wrong_email_and_an_unknown_reference_get_the_same_neutral_answer(bot_stack: Stack) -> None:
    opened = bot_stack.open_case(text="The bus is late.", contact={"email": "lee@example.org"})
    unknown = "FB-0000-0000"
    answers = []
    for reference, email in ((opened["reference"], "someone.else@example.org"), (unknown, "lee@example.org")):
        chat = bot_stack.conversation()
        answers.append(chat.script("where is my case", reference, email).text)
    assert answers[0] == answers[1]
    assert "could not find a case with that reference and email address" in answers[0]
    assert "stage" not in answers[0]


def test_a_mistyped_reference_or_email_is_asked_again(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.say("check my case")
    assert "doesn't look like one of our references" in chat.say("my reference is 12345").text
    chat.say("FB-7K3M-9QX4")
    assert "doesn't look like an email address" in chat.say("kim at example").text


def test_how_complaints_work_explains_the_procedure_that_applies(bot_stack: Stack) -> None:
    statutory = bot_stack.conversation().script("how do complaints work", "yes").text
    assert "set by law" in statutory and "Stage 3" in statutory and "30 working days" in statutory
    corporate = bot_stack.conversation().script("what are the stages of a complaint", "No, something else").text
    assert (
        "two stages" in corporate and "Stage 3" not in corporate and "acknowledge your complaint within 5" in corporate
    )


def test_a_child_in_danger_gets_the_emergency_routes_first_and_the_case_is_urgent(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    told = chat.say("my neighbour is hitting her kids right now")
    assert told.texts[0].startswith("If a child is in immediate danger, call 999 now.")
    assert bot_stack.front_door_phone in told.texts[0]
    chat.script("I'm a neighbour", "yes", "Alex", "alex@example.org", "skip")
    done = chat.say("yes")
    case = bot_stack.case(done.reference or "").case
    assert case.urgent and case.service == "childrens_initial_response"
    assert bot_stack.case(case.reference).messages == ["my neighbour is hitting her kids right now"]


def test_danger_in_the_middle_of_a_complaint_comes_first_and_keeps_what_was_said(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    chat.script("I want to complain about my son's social worker", "She never visits and never calls back")
    told = chat.say("a child is in danger right now")
    assert "999" in told.texts[0] and bot_stack.front_door_phone in told.texts[0]
    done = chat.script("A parent or carer", "Yes, reply to me", "Sam", "sam@example.org", "skip", "yes")
    stored = bot_stack.case(done.reference or "")
    assert stored.case.urgent
    assert stored.messages == ["She never visits and never calls back\n\na child is in danger right now"]


def test_unclear_messages_get_help_and_the_second_in_a_row_offers_a_person(bot_stack: Stack) -> None:
    chat = bot_stack.conversation()
    first = chat.say("what's the weather like tomorrow")
    assert "didn't understand" in first.text and bot_stack.council_phone not in first.text
    second = chat.say("asdfgh qwerty")
    assert "didn't understand" in second.text and bot_stack.council_phone in second.text
    assert "Make a complaint" in second.buttons
    person = chat.say("can I talk to a real person")
    assert bot_stack.council_phone in person.text


def test_one_persons_failed_lookups_do_not_lock_out_another_chat_user(bot_stack: Stack) -> None:
    """Every chat lookup reaches the API from the action server: the limit must count each conversation apart."""
    guesser = bot_stack.conversation()
    for _ in range(11):
        guesser.script("where is my case", "FB-0000-0000", "nobody@example.org")
    assert "too many unsuccessful attempts" in guesser.transcript[-1]
    opened = bot_stack.open_case(text="The bus is late.", contact={"email": "ash@example.org"})
    answer = bot_stack.conversation().script("where is my case", opened["reference"], "ash@example.org").text
    assert f"{opened['reference']} is at stage 1" in answer


def test_the_socketio_channel_is_open_for_a_richer_widget(bot_stack: Stack) -> None:
    """credentials.yml enables socket.io beside REST: its handshake answers with a session id."""
    import httpx

    handshake = httpx.get(f"{bot_stack.rasa_url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert handshake.status_code == 200 and '"sid"' in handshake.text


def test_danger_written_into_the_account_gets_the_emergency_routes_first_however_it_is_classified(
    bot_stack: Stack,
) -> None:
    """Whether the classifier reads it as danger or as an ordinary answer, the routes come before any question."""
    chat = bot_stack.conversation()
    chat.say("I want to make a complaint")
    told = chat.say("My stepdad is hitting my little brother right now and nobody from the council has come")
    assert told.texts[0].startswith("If a child is in immediate danger, call 999 now."), chat.transcript
    done = chat.script("I'm the young person", "Stay anonymous", "yes")
    case = bot_stack.case(done.reference or "").case
    assert case.urgent and case.service == "childrens_initial_response" and case.contact is None
