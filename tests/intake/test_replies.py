"""What we send: every procedure and case type renders, with the right words, and HTML is escaped."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from typing import Any

import pytest

from intake.config import CouncilSettings
from intake.replies import AckFacts, RenderedMail, acknowledgement, long_date, owner_notification
from store.policy import ProcedurePolicy, ResponseTimescale, StatutoryPolicy

COUNCIL = CouncilSettings(name="Shire County Council", phone="01632 960123", hours="Monday to Friday, 8.30am to 5pm")
PUBLIC_URL = "https://feedback.shire.example/"
DUE = date(2026, 12, 9)
FACTS = AckFacts(
    reference="FB-7K3M-9QX4",
    case_type="complaint",
    procedure="statutory",
    stage=1,
    due_on=DUE,
    contact_name="Jo Bloggs",
)

# (procedure, case type) -> words the acknowledgement must contain, in text and HTML alike.
PROMISES = {
    ("statutory", "complaint"): [
        "children's social care",
        "respond within 10 working days",
        "extended to 20 working days",
        "stage 2 (an independent investigation) within 20 working days",
    ],
    ("corporate", "complaint"): [
        "corporate complaints procedure",
        "acknowledge it within 5 working days",
        "respond within 10 working days of that acknowledgement",
        "stage 2",
    ],
    ("feedback", "question"): ["reply to your question within 10 working days"],
    ("feedback", "comment"): ["reply to your comment within 10 working days"],
    ("feedback", "compliment"): ["pass your compliment on to the team"],
}


def ack(policy: ProcedurePolicy | None = None, **changes: Any) -> RenderedMail:
    facts = replace(FACTS, **changes)
    return acknowledgement(facts, council=COUNCIL, policy=policy or ProcedurePolicy(), public_url=PUBLIC_URL)


def words_of(body: str) -> str:
    """The body on one line, as a reader takes it in: wrapping and HTML's escaped apostrophes undone."""
    return " ".join(body.replace("&#39;", "'").split())


@pytest.mark.parametrize(("procedure", "case_type"), list(PROMISES))
def test_an_acknowledgement_says_what_happens_next_and_how_to_reach_us(procedure: str, case_type: str) -> None:
    mail = ack(procedure=procedure, case_type=case_type)

    assert mail.subject == f"[FB-7K3M-9QX4] We have received your {case_type}"
    for body in (words_of(mail.text), words_of(mail.html)):
        assert "FB-7K3M-9QX4" in body
        assert "Dear Jo Bloggs," in body
        assert "https://feedback.shire.example/status" in body
        assert "01632 960123" in body and "Monday to Friday, 8.30am to 5pm" in body
        for words in PROMISES[procedure, case_type]:
            assert words in body, (words, body)
        # A compliment is passed on: promising a reply date would read oddly.
        assert ("Wednesday 9 December 2026" in body) is (case_type != "compliment")


def test_plain_text_is_wrapped_for_reading_but_links_are_never_broken() -> None:
    long_url = "https://feedback.shire.example/" + "a-very-long-path/" * 6
    mail = acknowledgement(FACTS, council=COUNCIL, policy=ProcedurePolicy(), public_url=long_url)

    lines = mail.text.splitlines()
    assert long_url + "status" in lines
    assert all(len(line) <= 76 for line in lines if "https://" not in line)


def test_the_words_follow_the_configured_policy() -> None:
    policy = ProcedurePolicy(statutory=StatutoryPolicy(stage1=ResponseTimescale(response_days=7, limit_days=7)))

    text = words_of(ack(policy).text)

    assert "respond within 7 working days" in text
    assert "extended" not in text


@pytest.mark.parametrize(
    ("procedure", "stage", "words"),
    [
        ("statutory", 2, "stage 3 (an independent review panel) within 20 working days"),
        ("statutory", 3, "Local Government and Social Care Ombudsman"),
        ("corporate", 2, "Local Government and Social Care Ombudsman"),
    ],
)
def test_later_stages_name_the_next_step(procedure: str, stage: int, words: str) -> None:
    assert words in words_of(ack(procedure=procedure, stage=stage).text)


def test_a_contact_name_is_escaped_in_html_and_left_as_text_in_text() -> None:
    mail = ack(contact_name='<script>alert("hi")</script>')

    assert "<script>" not in mail.html
    assert "Dear &lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;," in mail.html
    assert 'Dear <script>alert("hi")</script>,' in mail.text


def test_without_a_name_or_a_due_date_it_still_reads_well() -> None:
    mail = ack(contact_name=None, due_on=None)

    assert mail.text.startswith("Hello,\n\nThank you")
    assert "expect our response" not in mail.text


def test_an_acknowledgement_can_hold_nothing_about_the_child_or_the_classifier() -> None:
    assert [field.name for field in fields(AckFacts)] == [
        "reference",
        "case_type",
        "procedure",
        "stage",
        "due_on",
        "contact_name",
    ]


def test_an_owner_notification_links_the_case_and_carries_no_message() -> None:
    mail = owner_notification(
        reference="FB-7K3M-9QX4",
        team_name="Children & Families <North>",
        stage=2,
        due_on=DUE,
        public_url=PUBLIC_URL,
        what="A reply arrived on this closed case;\nit may be a request to escalate. Please review it.",
    )

    assert "\n" not in mail.subject
    assert mail.subject.startswith("[FB-7K3M-9QX4] A reply arrived on this closed case;")
    for body in (mail.text, mail.html):
        assert "https://feedback.shire.example/api/cases/FB-7K3M-9QX4" in body
        assert "Wednesday 9 December 2026" in body
    assert "Team: Children & Families <North>" in mail.text
    assert "Children &amp; Families &lt;North&gt;" in mail.html


def test_dates_are_written_as_people_write_them() -> None:
    assert long_date(date(2026, 12, 9)) == "Wednesday 9 December 2026"
    assert long_date(date(2026, 3, 2)) == "Monday 2 March 2026"
