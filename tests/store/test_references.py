"""Case references: Crockford base32 with a mod-37 check symbol, forgiving to type and strict to accept."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from store.references import ALPHABET, find_reference, new_reference, normalise_reference

CANONICAL = re.compile(r"^FB-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$")
CHECK_SYMBOLS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"

bodies = st.text(alphabet=ALPHABET, min_size=7, max_size=7)
hypothesis_settings = settings(max_examples=300, deadline=None)


def reference_for(body: str) -> str:
    """An independent oracle: Crockford's check symbol is the body's value, read as base 32, mod 37."""
    value = int(body.translate(str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")), 32)
    return f"FB-{body[:4]}-{body[4:]}{CHECK_SYMBOLS[value % 37]}"


# --- known values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ("0000000", "FB-0000-0000"),
        ("0000001", "FB-0000-0011"),
        # "10" in base 32 is 32: past the 32 letters and digits come Crockford's extra symbols * ~ $ = U.
        ("0000010", "FB-0000-010*"),
        ("0000011", "FB-0000-011~"),
        ("0000012", "FB-0000-012$"),
        ("0000013", "FB-0000-013="),
        ("0000014", "FB-0000-014U"),
        ("0000015", "FB-0000-0150"),  # 37 mod 37 = 0
        ("ZZZZZZZ", "FB-ZZZZ-ZZZJ"),  # 32**7 - 1 = 34359738367 = 37 * 928641577 + 18 -> J
        ("7K3M9QX", "FB-7K3M-9QX8"),
    ],
)
def test_known_check_symbols(body: str, reference: str) -> None:
    assert reference_for(body) == reference
    assert normalise_reference(reference) == reference
    assert normalise_reference(reference.lower().replace("-", " ")) == reference


def test_new_references_are_canonical_valid_and_random() -> None:
    references = {new_reference() for _ in range(500)}
    assert len(references) == 500
    for reference in references:
        assert CANONICAL.fullmatch(reference), reference
        assert normalise_reference(reference) == reference
        assert reference == reference_for(reference[3:7] + reference[8:11])


@pytest.mark.parametrize(
    "text",
    ["", "FB", "FB-", "XX-0000-0000", "FB-0000-000", "FB-0000-00000", "FB-000U-0000", "FB-0000-0001X", "FB-0000-0002"],
)
def test_malformed_references_are_refused(text: str) -> None:
    assert normalise_reference(text) is None


# --- properties --------------------------------------------------------------------------------------------


@hypothesis_settings
@given(bodies)
def test_round_trip(body: str) -> None:
    reference = reference_for(body)
    assert normalise_reference(reference) == reference
    assert normalise_reference(normalise_reference(reference) or "") == reference


@hypothesis_settings
@given(bodies, st.sampled_from(["{}", "{} ", " {}\n", "[{}]", "({})"]), st.booleans(), st.booleans())
def test_typing_variations_are_forgiven(body: str, frame: str, lower: bool, dashes: bool) -> None:
    reference = reference_for(body)
    typed = reference if dashes else reference.replace("-", " " if lower else "")
    typed = typed.lower() if lower else typed
    assert normalise_reference(frame.format(typed)) == reference


@hypothesis_settings
@given(bodies)
def test_lookalike_letters_read_as_digits(body: str) -> None:
    reference = reference_for(body)
    typed = reference[:2] + reference[2:].replace("0", "O").replace("1", "I")
    assert normalise_reference(typed) == reference
    assert normalise_reference(reference[:2] + reference[2:].replace("1", "l")) == reference


@hypothesis_settings
@given(bodies, st.integers(min_value=0, max_value=6), st.sampled_from(ALPHABET))
def test_a_single_mistyped_character_is_caught(body: str, position: int, typo: str) -> None:
    assume(body[position] != typo)
    mistyped = body[:position] + typo + body[position + 1 :]
    check = reference_for(body)[-1]
    assert normalise_reference(f"FB-{mistyped[:4]}-{mistyped[4:]}{check}") is None


@hypothesis_settings
@given(bodies, st.integers(min_value=0, max_value=5))
def test_swapping_two_neighbouring_characters_is_caught(body: str, position: int) -> None:
    assume(body[position] != body[position + 1])
    swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
    check = reference_for(body)[-1]
    assert normalise_reference(f"FB-{swapped[:4]}-{swapped[4:]}{check}") is None


@hypothesis_settings
@given(bodies, st.sampled_from(CHECK_SYMBOLS))
def test_a_wrong_check_symbol_is_caught(body: str, check: str) -> None:
    reference = reference_for(body)
    assume(check != reference[-1])
    assert normalise_reference(reference[:-1] + check) is None


# Text around a reference with no letters or digits in it, so it cannot hold another reference.
surroundings = st.text(alphabet=st.characters(blacklist_categories=("L", "N")), max_size=40)


@hypothesis_settings
@given(bodies, surroundings, surroundings)
def test_found_inside_free_text(body: str, before: str, after: str) -> None:
    reference = reference_for(body)
    assert find_reference(f"Re: [{reference}] your complaint") == reference
    assert find_reference(f"{before} {reference} {after}") == reference
    assert find_reference(f"{before} {reference.lower().replace('-', '')} {after}") == reference


# --- quoted in text ----------------------------------------------------------------------------------------


def test_the_first_valid_reference_in_text_wins() -> None:
    good = reference_for("7K3M9QX")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert find_reference(f"About {bad} and {good}") == good
    assert find_reference(f"fb{good[2:].lower()} thanks") == good
    assert find_reference("no reference here") is None
    assert find_reference(f"XFB{good[2:]}") is None  # not at a word boundary
