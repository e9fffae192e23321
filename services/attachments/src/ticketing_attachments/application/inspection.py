"""Deciding what an upload is from its bytes, while they stream past (never all in memory).

`Inspector.feed` sees every chunk in order: it counts (over the cap is TooLarge at once),
hashes, keeps the first bytes, and refuses a forbidden type as soon as the head shows it.
`finish` gives the verdict once the stream has ended: the type (magic numbers via `filetype`;
zip containers by their entry names: `[Content_Types].xml` with `word/`, `xl/` or `ppt/` is an
Office document), checked against the allow-list and against the type the client declared.
Plain text has no magic: it is accepted only when declared, and only as UTF-8 without NUL.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]  # no stubs; guess() is all we use

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF, TEXT, ZIP = "application/pdf", "text/plain", "application/zip"
_OOXML = "application/vnd.openxmlformats-officedocument"
DOCX = f"{_OOXML}.wordprocessingml.document"
XLSX = f"{_OOXML}.spreadsheetml.sheet"
PPTX = f"{_OOXML}.presentationml.presentation"
DEFAULT_ALLOWED = frozenset({PNG, JPEG, GIF, WEBP, PDF, TEXT, DOCX, XLSX, PPTX, ZIP})

_HEAD_BYTES = 8192  # what filetype looks at
_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ZIP_TYPES = frozenset({ZIP, DOCX, XLSX, PPTX})
_OFFICE_PARTS = ((b"word/", DOCX), (b"xl/", XLSX), (b"ppt/", PPTX))
#: Declared types that name no type at all, and common aliases of allowed ones.
_NO_CLAIM = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "application/x-zip-compressed": ZIP}


class UploadRejected(Exception):
    """The upload may not be stored; `status` is the HTTP answer (413, 415 or 422)."""

    status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TooLarge(UploadRejected):
    status = 413


class UnsupportedType(UploadRejected):
    status = 415


class EmptyUpload(UploadRejected):
    status = 422


@dataclass(frozen=True, slots=True)
class Verdict:
    content_type: str
    size: int
    sha256: str


def normalise_declared(declared: str | None) -> str:
    """`image/JPG; name=x` -> `image/jpeg`; absent -> ''."""
    bare = (declared or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


class Inspector:
    """Follows one upload's bytes; see the module docstring."""

    def __init__(
        self, *, max_bytes: int, allowed: frozenset[str], declared: str | None = None
    ) -> None:
        self._max = max_bytes
        self._allowed = allowed
        self._declared = normalise_declared(declared)
        self._size = 0
        self._hash = hashlib.sha256()
        self._head = bytearray()
        self._magic: str | None = None
        self._decided_head = False
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._text_ok = self._declared == TEXT
        self._zip_tail = b""
        self._zip_names: list[bytes] = []
        self._verdict: Verdict | None = None

    def feed(self, chunk: bytes) -> None:
        """Account for the next chunk; raises TooLarge or UnsupportedType as soon as it can."""
        self._size += len(chunk)
        if self._size > self._max:
            raise TooLarge(f"The file is larger than {self._max} bytes.")
        self._hash.update(chunk)
        if not self._decided_head:
            self._head += chunk[: _HEAD_BYTES - len(self._head)]
            if len(self._head) >= _HEAD_BYTES:
                self._decide_head()
        if self._text_ok:
            self._follow_text(chunk)
        if self._magic in _ZIP_TYPES or not self._decided_head:
            self._follow_zip(chunk)

    def finish(self) -> Verdict:
        """The verdict on the whole upload; raises EmptyUpload or UnsupportedType."""
        if self._verdict is None:
            self._verdict = self._judge()
        return self._verdict

    def _judge(self) -> Verdict:
        if self._size == 0:
            raise EmptyUpload("The file is empty.")
        if not self._decided_head:
            self._decide_head()
        if self._text_ok:
            self._follow_text(b"", final=True)
        sniffed = self._sniffed()
        if sniffed is None:
            raise UnsupportedType("The file's type is not recognised or not allowed.")
        if self._declared not in _NO_CLAIM and not _compatible(self._declared, sniffed):
            raise UnsupportedType(f"The file is {sniffed}, not {self._declared} as declared.")
        if sniffed not in self._allowed:
            raise UnsupportedType(f"Files of type {sniffed} are not accepted.")
        return Verdict(sniffed, self._size, self._hash.hexdigest())

    def _decide_head(self) -> None:
        self._decided_head = True
        kind = filetype.guess(bytes(self._head))
        mime = kind.mime if kind is not None else None
        if mime is not None and bytes(self._head).startswith(_ZIP_LOCAL_HEADER):
            mime = ZIP  # OOXML (or not) is decided from the entry names at the end
        self._magic = mime
        if mime is not None:
            self._text_ok = False  # bytes with a signature are never accepted as text
            if mime not in self._allowed and not (mime == ZIP and _ZIP_TYPES & self._allowed):
                raise UnsupportedType(f"Files of type {mime} are not accepted.")

    def _sniffed(self) -> str | None:
        if self._magic == ZIP:
            names = self._zip_names
            if any(name == b"[Content_Types].xml" for name in names):
                for prefix, mime in _OFFICE_PARTS:
                    if any(name.startswith(prefix) for name in names):
                        return mime
            return ZIP
        if self._magic is not None:
            return self._magic
        return TEXT if self._text_ok else None

    def _follow_text(self, chunk: bytes, *, final: bool = False) -> None:
        if b"\x00" in chunk:
            self._text_ok = False
            return
        try:
            self._text.decode(chunk, final=final)
        except UnicodeDecodeError:
            self._text_ok = False

    def _follow_zip(self, chunk: bytes) -> None:
        # Entry names of local file headers: signature, 26 bytes of fields, the name length at
        # offset 26, the name at 30. A header split across chunks is kept for the next one.
        data = self._zip_tail + chunk
        start = 0
        while (at := data.find(_ZIP_LOCAL_HEADER, start)) != -1:
            if len(data) < at + 30:
                break
            length = int.from_bytes(data[at + 26 : at + 28], "little")
            if len(data) < at + 30 + length:
                break
            if len(self._zip_names) < 10_000:
                self._zip_names.append(data[at + 30 : at + 30 + length])
            start = at + 30 + length
        else:
            at = max(start, len(data) - 3)  # keep what may be the start of a signature
        self._zip_tail = data[at:][: 30 + 0xFFFF]


def _compatible(declared: str, sniffed: str) -> bool:
    # A zip declared for an Office document (or the reverse) names the same container.
    return declared == sniffed or (declared in _ZIP_TYPES and sniffed in _ZIP_TYPES)
