"""Turning the CRT's corrections into training examples in the corpus format.

The text is a real person's message, so contact details are masked before it leaves the database; names
and other details cannot be found reliably by a program, so the file must still be read by a person
before it joins `classifiers/data/` (the README says so, and so does the command).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from store.labels import HEADS

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# UK numbers, written with or without spaces, brackets, dashes and +44.
PHONE = re.compile(r"(?<!\w)(?:\+44\s?\(?0?\)?|\(?0)(?:[\s()-]*\d){9,10}(?!\w)")
REFERENCE = re.compile(r"\bFB-[0-9A-Z]{4}-[0-9A-Z]{4}\b", re.IGNORECASE)
# The corpus's `author` values, from the case's complainant role.
AUTHORS = {
    "parent_carer": "parent",
    "young_person": "young_person",
    "foster_carer": "foster_carer",
    "professional": "professional",
}


def mask_contact_details(text: str) -> str:
    """Email addresses, phone numbers and case references replaced by placeholders."""
    text = EMAIL.sub("name@example.org", text)
    text = PHONE.sub("07700 900000", text)
    return REFERENCE.sub("FB-XXXX-XXXX", text)


def training_record(text: str, labels: Mapping[str, str], *, channel: str, role: str) -> dict[str, str]:
    """One corpus line (the keys `classifiers.corpus` reads) for a corrected case."""
    for head, label in labels.items():
        if label not in HEADS[head]:
            raise ValueError(f"invalid {head} label {label!r}")
    return {
        "text": mask_contact_details(text),
        **{head: labels[head] for head in HEADS},
        "channel": channel if channel in ("chat", "email") else "other",
        "author": AUTHORS.get(role, "other"),
        "source": "correction",
    }
