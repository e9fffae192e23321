"""Search normalisation: the fast mark removal drops exactly what a per-character test drops."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from ticketing_query.domain.search import _FOLD, normalize, tokens


def reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).translate(_FOLD).casefold()


@given(st.text())
def test_normalize_drops_the_same_marks_as_a_per_character_test(text: str) -> None:
    assert normalize(text) == reference(text)


def test_persian_text_with_harakat_zwnj_arabic_letters_and_digits_folds_to_plain_words() -> None:
    assert tokens("پیامك‌هایِ تبليغاتي ۱۲۰۰ Café") == ["پیامک", "های", "تبلیغاتی", "1200", "cafe"]
