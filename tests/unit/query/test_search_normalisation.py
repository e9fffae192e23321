"""Search normalisation: the fast mark removal drops exactly what a per-character test drops."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from ticketing_query.domain.search import _FOLD, normalize, tokens

# The patterns are built on first use (a scan of every code point, 0.1-0.2 s on a loaded
# machine): built here, so that hypothesis's per-example deadline does not time the build.
normalize("")


def reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).translate(_FOLD).casefold()


@given(st.text())
def test_normalize_drops_the_same_marks_as_a_per_character_test(text: str) -> None:
    assert normalize(text) == reference(text)


#: Persian and Arabic letters, harakat, tatweel, ZWNJ and the other joiners, presentation forms
#: (NFKD makes letters `_FOLD` changes of them), Persian digits, accented Latin, astral marks.
PERSIAN_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),
    st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),
    st.sampled_from(["\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", " ", "e", "\u0301"]),
    st.characters(min_codepoint=0x1D165, max_codepoint=0x1D189),
)


@given(st.text(alphabet=PERSIAN_ALPHABET, max_size=60))
def test_normalize_of_persian_and_arabic_text_equals_the_translate_tables_reference(
    text: str,
) -> None:
    assert normalize(text) == reference(text)


def test_persian_text_with_harakat_zwnj_arabic_letters_and_digits_folds_to_plain_words() -> None:
    assert tokens("پیامك‌هایِ تبليغاتي ۱۲۰۰ Café") == ["پیامک", "های", "تبلیغاتی", "1200", "cafe"]


def test_every_folded_letter_and_a_mark_beyond_the_bmp_fold_as_the_reference_does() -> None:
    # The regular-expression fold takes a faster pattern unless a character lies beyond the
    # BMP: both paths, and every character of the fold table, against the per-character test.
    every_folded = "".join(chr(code) for code in _FOLD)
    texts = [
        f"درخواست {every_folded} پیگیری",
        "لطفاً\u200cپیگیری کنید \U000101fd و 𝐀𝐁 \U0001d167ها",  # astral mark and letters
        "مُشتَری\u0651 گرامی؛ ﻻ ۱۲۳ ٤٥٦",
    ]
    for text in texts:
        assert normalize(text) == reference(text), text
