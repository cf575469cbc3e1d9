"""The fixed split: same seed, same split; disjoint; every service in every split in about 70/15/15."""

from __future__ import annotations

from collections import Counter

from classifiers.corpus import LabelledText
from classifiers.split import split_examples
from store.labels import HEADS


def _texts(splits: dict[str, list[LabelledText]]) -> dict[str, list[str]]:
    return {name: [ex.text for ex in examples] for name, examples in splits.items()}


def test_same_seed_gives_the_same_split(corpus: list[LabelledText]) -> None:
    assert _texts(split_examples(corpus, seed=13)) == _texts(split_examples(corpus, seed=13))


def test_split_does_not_depend_on_input_order(corpus: list[LabelledText]) -> None:
    assert _texts(split_examples(corpus)) == _texts(split_examples(list(reversed(corpus))))


def test_another_seed_gives_another_split(corpus: list[LabelledText]) -> None:
    assert _texts(split_examples(corpus, seed=1))["test"] != _texts(split_examples(corpus, seed=2))["test"]


def test_splits_are_disjoint_and_cover_the_corpus(corpus: list[LabelledText]) -> None:
    texts = _texts(split_examples(corpus))
    train, dev, test = (set(texts[name]) for name in ("train", "dev", "test"))
    assert not train & dev and not train & test and not dev & test
    assert len(train) + len(dev) + len(test) == len(corpus) == len({ex.text for ex in corpus})


def test_split_is_stratified_by_service(corpus: list[LabelledText]) -> None:
    splits = split_examples(corpus)
    total = Counter(ex.labels["service"] for ex in corpus)
    for name, share in (("train", 0.70), ("dev", 0.15), ("test", 0.15)):
        counts = Counter(ex.labels["service"] for ex in splits[name])
        assert set(counts) == set(HEADS["service"]), name
        for service, n in total.items():
            assert abs(counts[service] / n - share) < 0.05, (name, service)


def test_every_split_has_every_type(corpus: list[LabelledText]) -> None:
    for name, examples in split_examples(corpus).items():
        assert {ex.labels["type"] for ex in examples} == set(HEADS["type"]), name
