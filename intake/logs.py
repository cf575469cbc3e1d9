"""Email addresses made safe for logs: enough to tell two messages apart, not enough to identify a person.

Logs are kept longer and read by more people than the case store, so a citizen's address never appears in
them whole: `jo.bloggs@example.org` is logged as `j***@example.org`. Free text from a mail server (a refusal
that quotes the recipient) goes through `redact_addresses` before it is logged.
"""

from __future__ import annotations

import re

ADDRESS = re.compile(r"[^\s<>()\[\],;:\"'@]+@[A-Za-z0-9.-]+")


def redact_address(address: str) -> str:
    """The first character of the local part and the domain: `j***@example.org`."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def redact_addresses(text: str) -> str:
    """Every email address in `text` redacted, the rest unchanged."""
    return ADDRESS.sub(lambda match: redact_address(match.group(0)), text)
