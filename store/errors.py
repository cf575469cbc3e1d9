"""The case service's refusals. Each carries a message fit to show the member of staff who asked."""

from __future__ import annotations


class CaseError(Exception):
    """Base of every refusal; the API maps each subclass to one HTTP status."""


class CaseNotFound(CaseError):
    """No such case, or not one this person may see (the two are told apart only in the audit trail)."""


class NotAllowed(CaseError):
    """The person may see the case but not make this change to it."""


class InvalidRequest(CaseError):
    """The request is incomplete or contradicts a rule (e.g. closing a complaint with no remedy)."""


class Conflict(CaseError):
    """The request does not fit the case's current state (e.g. escalating a compliment)."""
