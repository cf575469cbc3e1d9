"""The safeguarding phrase rule and the area gazetteer, with the lists from config.yml."""

from __future__ import annotations

import pytest

from classifiers.rules import Gazetteer, SafeguardingRule, normalise
from feedback.settings import Settings


@pytest.fixture(scope="module")
def rule(base_settings: Settings) -> SafeguardingRule:
    return SafeguardingRule(base_settings.classifiers.safeguarding.phrases)


@pytest.fixture(scope="module")
def gazetteer(base_settings: Settings) -> Gazetteer:
    return Gazetteer(base_settings.classifiers.areas)


def test_normalise_folds_case_accents_hyphens_and_quotes() -> None:
    assert normalise("Stratford-upon-Avon") == normalise("STRATFORD upon\n avon") == "stratford upon avon"
    assert normalise("Café’s") == "cafe's"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("my neighbours little boy has bruises on his arms again", "bruises"),
        ("She is SCARED TO GO HOME because of her stepdad", "scared to go home"),
        ("my daughter (14) is self-harming and the school did nothing", "self harming"),
        ("I think he is being groomed by older lads", "groomed"),
        ("dad hits him when he's drunk", "hits him"),
        ("worried about county-lines in the estate", "county lines"),
    ],
)
def test_phrases_that_suggest_a_child_at_risk_are_found(rule: SafeguardingRule, text: str, phrase: str) -> None:
    assert phrase in rule.matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "the taxi was late again and my son missed registration",
        "I am unhappy with the 11 plus results letter",
        "the bruised apple in the lunch box",  # whole words only: "bruised" is not "bruises"
        "thank you to the fostering team for the training day",
        "",
    ],
)
def test_ordinary_complaints_are_not_flagged(rule: SafeguardingRule, text: str) -> None:
    assert rule.matches(text) == []


def test_each_phrase_is_reported_once_in_order(rule: SafeguardingRule) -> None:
    text = "bruises on her legs, more bruises today, and she is self harming"
    assert rule.matches(text) == ["bruises", "self harming"]


def test_an_empty_rule_flags_nothing() -> None:
    assert SafeguardingRule([]).matches("bruises") == []


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("my social worker in Nuneaton never calls back", "ct_nuneaton_bedworth"),
        ("We live in Stratford-upon-Avon, CV37 6HB", "ct_stratford"),
        ("the child protection conference at the Leamington Spa office", "ct_warwick"),
        ("our family is in Atherstone", "ct_north_warwickshire"),
        ("we moved from Rugby to Bilton last year", "ct_rugby"),
        ("Nuneaton, then Bedworth, then one meeting in Rugby", "ct_nuneaton_bedworth"),
    ],
)
def test_the_area_named_in_the_text_is_found(gazetteer: Gazetteer, text: str, area: str) -> None:
    assert gazetteer.area_for(text) == area


@pytest.mark.parametrize(
    "text",
    [
        "my social worker never calls back",  # no place
        "we moved from Rugby to Nuneaton",  # a tie between two areas: the CRT decides
        "I live in Warwickshire",  # the county is not the town of Warwick
    ],
)
def test_no_area_or_a_tie_is_left_to_the_crt(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.area_for(text) is None


def test_a_place_listed_for_two_areas_is_refused() -> None:
    with pytest.raises(ValueError, match=r"kenilworth.*ct_warwick and ct_rugby"):
        Gazetteer({"ct_warwick": ["Kenilworth"], "ct_rugby": ["kenilworth"]})
