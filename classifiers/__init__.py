"""Suggested type, subject category and service for each case, from spaCy text classifiers.

`from classifiers import suggest` is the whole public surface for the service; training, evaluation and
the CLI live in their own modules and are imported only when used.
"""

from __future__ import annotations

from .suggest import HeadSuggestion, ModelsNotBuilt, Suggestion, suggest

__all__ = ["HeadSuggestion", "ModelsNotBuilt", "Suggestion", "suggest"]
