"""Email addresses in logs: enough to tell messages apart, never the whole address."""

from __future__ import annotations

import pytest

from intake.logs import redact_address, redact_addresses


@pytest.mark.parametrize(
    ("address", "redacted"),
    [
        ("jo.bloggs@example.org", "j***@example.org"),
        ("J@Example.org", "J***@Example.org"),
        ("odd@local@example.org", "o***@example.org"),
        ("no-at-sign", "***"),
        ("@example.org", "***"),
        ("", "***"),
    ],
)
def test_an_address_keeps_its_first_letter_and_domain(address: str, redacted: str) -> None:
    assert redact_address(address) == redacted


def test_addresses_inside_a_relay_reply_are_redacted() -> None:
    reply = "550 5.1.1 <jo.bloggs@example.org>: Recipient address rejected (cc sam@example.net)"

    assert redact_addresses(reply) == "550 5.1.1 <j***@example.org>: Recipient address rejected (cc s***@example.net)"
