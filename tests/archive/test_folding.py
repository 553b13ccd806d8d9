"""What the searches compare (archive.folding.fold): a person typing without capitals or
accents finds what was written with them, in any script."""

from __future__ import annotations

import pytest

from archive.folding import fold, terms


@pytest.mark.parametrize(("written", "typed"), [
    ("Дмитрий", "дмитрий"),
    ("ПОЛОТЕНЦЕ", "полотенце"),
    ("Zoë", "zoe"),
    ("zoe", "ZOË"),
    ("Ёжик", "ежик"),
    ("Straße", "STRASSE"),
    ("ﬁets", "fiets"),  # a ligature
    ("\uff3a\uff4f\uff45", "zoe"),  # full-width letters
    ("İstanbul", "istanbul"),
    ("Ελένη", "ελενη"),
])
def test_a_word_typed_plainly_matches_what_was_written(written: str, typed: str) -> None:
    assert fold(typed) in fold(written)


def test_short_i_and_short_u_stay_letters() -> None:
    assert fold("Йод") == "йод" and fold("мой") != fold("мои")
    assert fold("Ўзбек") == "ўзбек"


def test_the_words_of_a_query_are_folded_and_split() -> None:
    assert terms('  "Zoë"  ДМИТРИЙ ') == ["zoe", "дмитрий"]
    assert terms("   ") == []
