"""How the assistant reads people's answers (bot/actions/parse.py): pure functions, tested here directly.

The module has no Rasa imports, so it is loaded from its file into this (3.11) environment; the action
server runs the same file on 3.10, and the conversations in this folder exercise it end to end.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

PARSE = Path(__file__).resolve().parents[2] / "bot" / "actions" / "parse.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bot_actions_parse", PARSE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


parse = _load()


@pytest.mark.parametrize(
    ("said", "role"),
    [
        ("I'm the young person", "young_person"),
        ("it's about me", "young_person"),
        ("I'm his mum", "parent_carer"),
        ("A parent or carer", "parent_carer"),
        ("my son", "parent_carer"),
        ("A foster carer", "foster_carer"),
        ("I'm her social worker", "professional"),
        ("I'm a teacher at the school", "professional"),
        ("Someone else", "other"),
        ("I'm a neighbour", "other"),
        ("his nan", "other"),
        ("a medical appointment", None),
        ("banana", None),
    ],
)
def test_who_they_are(said: str, role: str | None) -> None:
    assert parse.role(said) == role


@pytest.mark.parametrize(
    ("said", "answer"),
    [("Yes", True), ("yeah", True), ("Yes, they know and agree", True), ("No", False), ("nope", False),
     ("they don't", False), ("not sure", None), ("purple", None), ("", None)],
)  # fmt: skip
def test_yes_or_no(said: str, answer: bool | None) -> None:
    assert parse.yes_no(said) is answer


@pytest.mark.parametrize(
    ("said", "label"),
    [
        ("school transport", "school_transport"),
        ("the bus to Oakwood School", "school_transport"),
        ("SEND", "sendar"),
        ("my daughter's EHCP", "sendar"),
        ("school admissions", "school_admissions"),
        ("the 11+ test", "eleven_plus"),
        ("my social worker", "childrens_team"),
        ("fostering team", "fostering"),
        ("Oakwood Primary School", "crt"),
        ("they keep sending letters", None),
        ("no idea what it's called", None),
    ],
)
def test_which_service(said: str, label: str | None) -> None:
    assert parse.service_label(said) == label


def test_an_email_is_found_in_a_sentence_and_a_malformed_one_is_not() -> None:
    assert parse.email("it's Jo.Bloggs+chat@example.co.uk thanks") == "Jo.Bloggs+chat@example.co.uk"
    for wrong in ("jo at example dot org", "@example.org", "jo@", "jo@example", "jo@@example.org", "a b@example.org"):
        assert parse.email(wrong) is None or " " not in parse.email(wrong), wrong
    assert parse.email("jo@example") is None and parse.email("jo@") is None


def test_a_phone_number_as_the_api_accepts_it() -> None:
    assert parse.phone("07700 900123") == "07700 900123"
    assert parse.phone("my number is +44 (0)1632 960123") == "+44 (0)1632 960123"
    assert parse.phone("call me maybe") is None and parse.phone("123") is None


def test_a_reference_typed_loosely_is_written_as_the_api_writes_it() -> None:
    assert parse.reference("fb 7k3m 9qx4") == "FB-7K3M-9QX4"
    assert parse.reference("my reference is FB7K3M9QX$ thanks") == "FB-7K3M-9QX$"
    assert parse.reference("12345") is None


def test_text_no_database_can_store_is_dropped() -> None:
    assert parse.clean_text("  the taxi\x00 never came \ud800 ") == "the taxi never came"


@pytest.mark.parametrize(
    ("said", "urgent"),
    [
        ("my neighbour is hitting her kids right now", True),
        ("my dad hits me and I'm not safe", True),
        ("I think my friend is being abused", True),
        ("a baby has been left home alone", True),
        ("The bus was late today and the driver nearly hit a car", False),
        ("it has now been three weeks without a reply", False),
        ("the school keeps sending letters", False),
    ],
)
def test_danger_now_in_plain_words(said: str, urgent: bool) -> None:
    assert parse.danger_now(said) is urgent
