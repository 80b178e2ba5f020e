"""Opening an extract file as bytes: its compression, format, text encoding and header.

What a file is comes from its content first and its name second, because real extracts are
renamed, re-zipped and re-saved on their way to an analyst:

* **compression**: gzip (``1f 8b``) and zip (``PK``) are recognised by their magic bytes
  whatever the file is called; a zip must hold exactly one file. Nothing is unpacked to disk:
  gzip is read as a stream, a zip member is read from inside the archive.
* **format**: Parquet by its ``PAR1`` magic (or a ``.parquet`` name), CSV otherwise.
* **encoding**: a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) decides; so do the zero
  bytes that UTF-16 or UTF-32 text without a mark has in every ASCII header (the header is
  column names); otherwise the declared encoding (``--encoding``, UTF-8 by default). Files
  that do not decode get a hint: ``cp1252`` (Windows) when that reads them, else ``latin-1``.
  The Unicode Standard, section 23.8 (byte order mark), and the WHATWG Encoding Standard
  (which reads ``latin-1`` labels as ``windows-1252``) are the sources.
* **line endings**: CR, LF and CRLF are all row ends (``csv`` and Arrow agree on this).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import zipfile
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from caremap.core.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
PARQUET_MAGIC = b"PAR1"
_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ZIP_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db")
_HEADER_LIMIT = 1 << 20  # a header longer than 1 MiB is not a header


@dataclass(frozen=True)
class Source:
    """An extract file, ready to be read: how to open its bytes and what they are."""

    path: Path
    opener: Callable[[], AbstractContextManager[BinaryIO]]
    compression: str | None  # None, "gzip" or "zip"
    parquet: bool
    encoding: str = "utf-8"  # Python codec name of the text (CSV only)

    @property
    def arrow_encoding(self) -> str:
        """The encoding to give Arrow's CSV reader (its own fast path for UTF-8)."""
        return "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding


def open_source(path: Path, declared: str = "utf-8") -> Source:
    """What ``path`` holds and how to read it (see the module docstring)."""
    declared = canonical_encoding(declared)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise InputError(
            f"cannot be opened ({exc.strerror or type(exc).__name__})", file=str(path)
        ) from None
    name = path.name.lower()
    if magic[:2] == GZIP_MAGIC:
        opener, compression = _gzip_opener(path), "gzip"
    elif magic in ZIP_MAGIC:
        opener, compression = _zip_opener(path), "zip"
    else:
        opener, compression = _plain_opener(path), None
    head = _read_head(path, opener) if compression else magic
    parquet = head[:4] == PARQUET_MAGIC or (compression is None and name.endswith(".parquet"))
    source = Source(path, opener, compression, parquet)
    if parquet:
        return source
    return Source(path, opener, compression, False, _detect_encoding(path, opener, declared))


def canonical_encoding(name: str) -> str:
    """Python's name for an encoding (``latin1`` -> ``iso8859-1``); a clear error if unknown."""
    try:
        info = codecs.lookup(name)
        if getattr(info, "_is_text_encoding", True):  # not base64, rot13, zlib ...
            return info.name
    except LookupError:
        pass
    raise InputError(
        f"unknown text encoding {name!r}; use e.g. utf-8, cp1252 (Windows), utf-16 or latin-1"
    )


def read_bytes(source: Source) -> bytes:
    """The whole (decompressed) content: for Parquet, which needs random access."""
    with source.opener() as fh:
        return _guarded(source.path, fh.read)


def read_header(source: Source) -> list[str]:
    """The header row's column names, whatever the line ending."""
    enc = _plain_encoding(source)
    nl, cr = "\n".encode(enc), "\r".encode(enc)
    with source.opener() as fh:
        head = _strip_bom(_guarded(source.path, lambda: fh.read(_HEADER_LIMIT)))
    if not head:
        raise InputError("file is empty (no header row)", file=str(source.path))
    end = _first_line_end(head, nl, cr)
    if end is None and len(head) >= _HEADER_LIMIT:
        raise InputError(
            "the first row should be a header of column names (no line end in the first 1 MiB)",
            file=str(source.path),
            row=1,
        )
    try:
        text = head[:end].decode(enc)
    except UnicodeDecodeError:
        raise InputError(
            f"header is not valid {source.encoding} text; {encoding_hint(source)}",
            file=str(source.path),
            row=1,
        ) from None
    cols = next(csv.reader([text]), [])
    if not cols or all(c.strip() == "" for c in cols):
        raise InputError(
            "the first row should be a header of column names", file=str(source.path), row=1
        )
    return cols


def locate_undecodable(source: Source, header: list[str]) -> tuple[int | None, str | None]:
    """Row (as a spreadsheet numbers it) and field of the first bytes that do not decode."""
    enc = _plain_encoding(source)
    nl, cr = "\n".encode(enc), "\r".encode(enc)
    ends = re.compile(re.escape(cr + nl) + b"|" + re.escape(cr) + b"|" + re.escape(nl))
    row, carry, first = 1, b"", True
    with source.opener() as fh:
        while True:
            chunk = _guarded(source.path, lambda: fh.read(1 << 20))
            buf = carry + chunk
            if first:
                buf, first = _strip_bom(buf), False
            pieces = ends.split(buf)
            carry = b"" if not chunk else pieces.pop()
            for line in pieces:
                try:
                    line.decode(enc)
                except UnicodeDecodeError as exc:
                    before = line[: exc.start].decode(enc, errors="replace")
                    idx = len(next(csv.reader([before]), [""])) - 1 if before else 0
                    return row, header[idx].strip() if idx < len(header) else None
                row += 1
            if not chunk:
                return None, None


def _plain_encoding(source: Source) -> str:
    """The encoding without its byte-order mark handling (``utf-16`` -> ``utf-16-le``)."""
    enc = source.encoding
    if enc == "utf-8-sig":
        return "utf-8"
    if enc in ("utf-16", "utf-32"):
        unit = 2 if enc == "utf-16" else 4
        with source.opener() as fh:
            head = fh.read(4)
        le = head.startswith(codecs.BOM_UTF32_LE if unit == 4 else codecs.BOM_UTF16_LE)
        return f"{enc}-{'le' if le else 'be'}"
    return enc


def _first_line_end(buf: bytes, nl: bytes, cr: bytes) -> int | None:
    unit = len(nl)
    for m in re.finditer(re.escape(nl) + b"|" + re.escape(cr), buf):
        if m.start() % unit == 0:
            return m.start()
    return None


def encoding_hint(source: Source) -> str:
    """What to do about text that does not decode: re-save, or name the right encoding.

    cp1252 (Windows) is suggested when it reads the file's first 4 MiB, since that is what
    most files from Windows systems are; latin-1 otherwise (it reads any bytes).
    """
    suggestion = "latin-1"
    if source.encoding != "cp1252":
        with source.opener() as fh:
            sample = _guarded(source.path, lambda: fh.read(1 << 22))
        try:
            sample.decode("cp1252")
            suggestion = "cp1252"
        except UnicodeDecodeError:
            pass
    windows = " (as Windows files usually are)" if suggestion == "cp1252" else ""
    return f"re-save it as UTF-8 or pass --encoding {suggestion}{windows}"


def _detect_encoding(path: Path, opener, declared: str) -> str:
    head = _read_head(path, opener)
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    sample = head[:16]  # the header's first characters: ASCII column names
    sample = sample[: len(sample) // 4 * 4]
    if len(sample) >= 4:
        units = [sample[i : i + 4] for i in range(0, len(sample), 4)]
        if all(u[0] and not any(u[1:]) for u in units):
            return "utf-32-le"
        if all(u[3] and not any(u[:3]) for u in units):
            return "utf-32-be"
        pairs = [sample[i : i + 2] for i in range(0, len(sample), 2)]
        if all(p[0] and not p[1] for p in pairs):
            return "utf-16-le"
        if all(p[1] and not p[0] for p in pairs):
            return "utf-16-be"
    if declared in ("utf-16", "utf-32"):
        # No mark and no zero bytes in the header: not UTF-16/32 text at all.
        raise InputError(
            f"is not {declared} text (no byte-order mark, and the header is not {declared}); "
            "check --encoding",
            file=str(path),
            row=1,
        )
    return declared


def _strip_bom(buf: bytes) -> bytes:
    for bom, _ in _BOMS:
        if buf.startswith(bom):
            return buf[len(bom) :]
    return buf


def _read_head(path: Path, opener) -> bytes:
    with opener() as fh:
        return _guarded(path, lambda: fh.read(256))


def _guarded(path: Path, read: Callable[[], bytes]) -> bytes:
    """``read()``, with damaged compressed data reported as the file's fault."""
    try:
        return read()
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(
            f"compressed data is damaged or cut short ({type(exc).__name__}); "
            "fetch the extract again",
            file=str(path),
        ) from None


def _plain_opener(path: Path):
    return lambda: open(path, "rb")


def _gzip_opener(path: Path):
    return lambda: gzip.open(path, "rb")


def _zip_opener(path: Path):
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                i
                for i in zf.infolist()
                if not i.is_dir() and not any(j in i.filename for j in _ZIP_JUNK)
            ]
            encrypted = any(i.flag_bits & 0x1 for i in members)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"is not a readable zip file ({type(exc).__name__})", file=str(path)
        ) from None
    if len(members) != 1:
        names = ", ".join(i.filename for i in members[:5]) + (" ..." if len(members) > 5 else "")
        raise InputError(
            f"a zip file must hold exactly one extract; this one holds {len(members)} "
            f"file(s){': ' + names if names else ''}. Unzip it and ingest the folder",
            file=str(path),
        )
    if encrypted:
        raise InputError("is a password-protected zip file; unzip it first", file=str(path))
    member = members[0].filename

    class _Member(AbstractContextManager):
        def __enter__(self):
            self._zf = zipfile.ZipFile(path)
            self._fh = self._zf.open(member)
            return self._fh

        def __exit__(self, *exc):
            self._fh.close()
            self._zf.close()

    return _Member


def arrow_stream(source: Source) -> AbstractContextManager:
    """The (decompressed) bytes as something Arrow's CSV reader can read."""
    if source.compression is None:
        return pa.OSFile(str(source.path), "rb")
    if source.compression == "gzip":
        return pa.input_stream(str(source.path), compression="gzip")
    return source.opener()
