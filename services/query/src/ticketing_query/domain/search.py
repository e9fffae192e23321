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


def normalize(text: str) -> str:
    """Fold `text` so that spellings a Persian reader treats as the same compare equal."""
    decomposed = _without_marks(unicodedata.normalize("NFKD", _folded(text)))
    # Marks (harakat, hamza above, the accents of Latin letters) are dropped after decomposing.
    return _folded(unicodedata.normalize("NFC", decomposed)).casefold()


@cache
def _marks() -> dict[int, None]:
    """The combining marks, as a translate table deleting them (`_mark_patterns` is made of
    its keys). Built on first use (~60 ms)."""
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


# `str.translate` looks every character up in its table, about 1 us a character for Persian
# text (a rebuild normalises every message); a regular expression finds the few characters to
# change, or that there are none, at C speed. The same result as translating with the tables.


def _folded(text: str) -> str:
    """`text.translate(_FOLD)`: only the characters `_FOLD` changes are replaced."""
    pattern, replacement = _fold_pattern()
    return pattern.sub(lambda found: replacement[found.group()], text)


def _without_marks(text: str) -> str:
    """`text.translate(_marks())`: every combining mark deleted."""
    basic, astral = _mark_patterns()
    text = basic.sub("", text)
    return astral.sub("", text) if _ASTRAL.search(text) is not None else text


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@cache
def _fold_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    replacement = {chr(code): "" if to is None else str(to) for code, to in _FOLD.items()}
    return re.compile(_character_class(_FOLD)), replacement


@cache
def _mark_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The combining marks of the basic plane, then those above it: a class of the basic
    plane alone is a bitmap that `re` tests in one step; one with astral ranges is a list."""
    marks = _marks()
    basic = _character_class(c for c in marks if c <= 0xFFFF)
    return re.compile(basic), re.compile(_character_class(c for c in marks if c > 0xFFFF))


def _character_class(codes: Iterable[int]) -> str:
    """A regular-expression class of exactly these code points, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return (
        "["
        + "".join(
            re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges
        )
        + "]"
    )


def tokens(text: str) -> list[str]:
    """The words of `text` after normalisation, in order (duplicates kept)."""
    return _WORD.findall(normalize(text))


def query_terms(q: str) -> tuple[str, ...]:
    """The distinct words a query requires; each must start a word of the ticket's text."""
    return tuple(dict.fromkeys(tokens(q)))


def matches(terms: tuple[str, ...], text_tokens: set[str]) -> bool:
    """Whether every term is a word, or the start of one, among `text_tokens`."""
    return all(any(t.startswith(term) for t in text_tokens) for term in terms)
