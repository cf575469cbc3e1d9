"""Suggested type, subject category and service for each case, from spaCy text classifiers.

`from classifiers import suggest` is the whole public surface for the service; training, evaluation and
the CLI live in their own modules. spaCy is imported on first use of `suggest` (PEP 562), so code that
only needs the rules or the settings does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .suggester import HeadSuggestion, ModelsNotBuilt, Suggestion, suggest

__all__ = ["HeadSuggestion", "ModelsNotBuilt", "Suggestion", "suggest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import suggester as module

        return getattr(module, name)
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
