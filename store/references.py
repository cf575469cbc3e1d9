"""Case references people can read aloud, type back, and quote in an email subject: `FB-7K3M-9QX4`.

Crockford base32 (no I, L, O or U), random rather than sequential so they reveal no volumes and cannot be
walked, and the last character is a check symbol so a mistyped reference is rejected instead of matching
someone else's case. Parsing forgives case, spaces, missing dashes and the look-alikes O/0 and I/L/1.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET: Final = ALPHABET + "*~$=U"  # Crockford's 37 check symbols
PREFIX: Final = "FB"
BODY_LENGTH: Final = 7
# Finds a reference inside free text such as "Re: [FB-7K3M-9QX4] your complaint".
REFERENCE_IN_TEXT: Final = re.compile(r"\bFB[-\s]?([0-9A-Z]{4})[-\s]?([0-9A-Z]{3}[0-9A-Z*~$=])", re.IGNORECASE)

_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return _format(body + _check_symbol(body))


def normalise_reference(text: str) -> str | None:
    """The canonical form of a typed or quoted reference, or None if it is not a valid one."""
    compact = re.sub(r"[\s\-\[\]()]", "", text.strip().upper())
    if not compact.startswith(PREFIX):
        return None
    candidate = compact[len(PREFIX) :]
    body, check = candidate[:-1].translate(_LOOKALIKES), candidate[-1:].translate(_LOOKALIKES)
    if len(body) != BODY_LENGTH or any(char not in ALPHABET for char in body):
        return None
    if check != _check_symbol(body):
        return None
    return _format(body + check)


def find_reference(text: str) -> str | None:
    """The first valid reference quoted anywhere in `text` (an email subject, a chat message)."""
    for match in REFERENCE_IN_TEXT.finditer(text):
        reference = normalise_reference(PREFIX + match.group(1) + match.group(2))
        if reference:
            return reference
    return None


def _check_symbol(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return CHECK_ALPHABET[value % 37]


def _format(chars: str) -> str:
    return f"{PREFIX}-{chars[:4]}-{chars[4:]}"
