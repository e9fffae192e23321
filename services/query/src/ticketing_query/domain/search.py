"""Persian-aware normalisation for search, applied alike to indexed text and to queries.

A zero-width non-joiner counts as a space; Arabic ي/ك and Persian ی/ک are the same letter (and
ى, ة, ۀ, أ/إ/آ fold too); diacritics and tatweel are ignored; Persian, Arabic-Indic and Latin
digits are the same; Latin letters are case-folded.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import cache

_FOLD = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": None,  # tatweel
        "\u200c": " ",
        "\u200d": None,
        "\u200e": None,
        "\u200f": None,
        "\ufeff": None,
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    }
)
_WORD = re.compile(r"\w+")
#: A character beyond the Basic Multilingual Plane (one range: a cheap test per character).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def normalize(text: str) -> str:
    """Fold `text` so that spellings a Persian reader treats as the same compare equal."""
    # What `str.translate(_FOLD)` and a mark-deleting table did, done by regular expressions:
    # `translate` with a mapping makes a Python lookup per character (~0.5 µs each on Persian
    # text, most of a projected ticket's search cost), a compiled character class scans in C
    # and only the few characters that change call back (`tests/unit/query` holds both equal).
    folds, marks, astral_marks = _patterns()
    decomposed = unicodedata.normalize("NFKD", folds.sub(_folded, text))
    # Marks (harakat, hamza above, the accents of Latin letters) are dropped after decomposing.
    if _ASTRAL.search(decomposed):
        kept = astral_marks.sub("", decomposed)
    else:  # the usual case: a class without astral ranges is a bitmap test per character
        kept = marks.sub("", decomposed)
    return folds.sub(_folded, unicodedata.normalize("NFC", kept)).casefold()


def _folded(found: re.Match[str]) -> str:
    return _FOLD_TEXT[found.group()]


_FOLD_TEXT = {chr(code): value or "" for code, value in _FOLD.items()}


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The characters `_FOLD` changes; every combining mark of the BMP; every combining mark.
    Built on first use (~60 ms: one test per code point)."""
    every = [c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))]
    bmp = [c for c in every if c <= 0xFFFF]
    return _char_class(_FOLD), _char_class(bmp), _char_class(every)


def _char_class(codes: Iterable[int]) -> re.Pattern[str]:
    """One character class of `codes`, as ranges of consecutive code points."""
    spans: list[list[int]] = []
    for code in sorted(codes):
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in spans)
    return re.compile("[" + "".join(parts) + "]")


def tokens(text: str) -> list[str]:
    """The words of `text` after normalisation, in order (duplicates kept)."""
    return _WORD.findall(normalize(text))


def query_terms(q: str) -> tuple[str, ...]:
    """The distinct words a query requires; each must start a word of the ticket's text."""
    return tuple(dict.fromkeys(tokens(q)))


def matches(terms: tuple[str, ...], text_tokens: set[str]) -> bool:
    """Whether every term is a word, or the start of one, among `text_tokens`."""
    return all(any(t.startswith(term) for t in text_tokens) for term in terms)
