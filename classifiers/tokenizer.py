"""The pipelines' tokenizer: spaCy's English rules over lowercased text.

spaCy's bag-of-words layer hashes each token's exact text (ORTH), so "Transport" at the start of an email
and "transport" in a chat message would be two unrelated features. Lowercasing before tokenizing makes
them one; on the dev split it lifted macro-F1 for type and service and cost nothing for subject.
Registered as `feedback.LowercaseTokenizer.v1` for the configs; import this module before `spacy.load`
(the package does), or pass `--code classifiers/tokenizer.py` to `spacy train`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import registry


class LowercaseTokenizer(Tokenizer):  # type: ignore[misc]  # spaCy's Cython class is untyped
    def __call__(self, text: str) -> Doc:
        doc: Doc = super().__call__(text.lower())
        return doc


@registry.tokenizers("feedback.LowercaseTokenizer.v1")  # type: ignore[untyped-decorator]
def create_lowercase_tokenizer() -> Callable[[Language], LowercaseTokenizer]:
    def create(nlp: Language) -> LowercaseTokenizer:
        rules = cast(Tokenizer, spacy.blank("en").tokenizer)
        return LowercaseTokenizer(
            nlp.vocab,
            rules=rules.rules,
            prefix_search=rules.prefix_search,
            suffix_search=rules.suffix_search,
            infix_finditer=rules.infix_finditer,
            token_match=rules.token_match,
            url_match=rules.url_match,
        )

    return create


def make_tokenizer() -> LowercaseTokenizer:
    """The same tokenizer the configs name, for turning corpus text into training Docs."""
    tokenizer: LowercaseTokenizer = create_lowercase_tokenizer()(spacy.blank("en"))
    return tokenizer
