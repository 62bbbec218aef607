"""Decode the bytes of a plain-text file (``.txt``, ``.md``) into text.

The rules, in order:

1. A NUL byte means a binary file (an image or archive renamed ``.txt``): no text in any
   encoding, so it is refused as binary rather than guessed at.
2. UTF-8, with or without a byte order mark: the usual encoding, tried first and exactly.
3. Anything else is detected by ``charset_normalizer``: the encoding whose decoding looks least
   like noise. Among the encodings it finds equally clean, one of ``PREFERRED_ENCODINGS`` wins:
   on a short Western text (``"Caf\\xe9 au lait."``) the detector ranks Central European,
   Cyrillic or Urdu code pages as clean as Windows-1252, and ``cp1250`` would turn the ``è`` of
   ``système`` into ``č``.
4. A file the detector finds no clean decoding for, or whose decoding holds control characters
   other than line breaks and tabs, is refused as binary.

``IngestSettings.detect_text_encoding = False`` stops at rule 2: a file that is not UTF-8 is then
refused with the advice to save it as UTF-8.

Character offsets (citations, blocks) are offsets in the decoded text, whatever the encoding.
"""

from __future__ import annotations

import re

import charset_normalizer

# Encodings that win a tie of the detector's cleanest candidates, first first. Windows-1252 is
# the default of Windows for English and Western European text, so the most common text file
# that is not UTF-8; it decodes every printable Latin-1 (ISO 8859-1) byte the same way.
PREFERRED_ENCODINGS: tuple[str, ...] = ("cp1252",)

# C0 control characters (and DEL) that no text file holds; tab, line feed, vertical tab, form
# feed and carriage return are text.
_CONTROL_RE = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")

BINARY = "it looks like a binary file, not text"


def decode_text(data: bytes, *, detect: bool = True) -> tuple[str, str]:
    """``(text, encoding)`` of a plain-text file's bytes, by the rules of the module docstring;
    without ``detect`` (``IngestSettings.detect_text_encoding``) only UTF-8 is read.

    Raises:
        ValueError: the bytes look binary, or are not UTF-8 and ``detect`` is off (the message
            says which).
    """
    if b"\x00" in data:
        raise ValueError(f"contains NUL bytes; {BINARY}")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        if not detect:
            raise ValueError(f"not valid UTF-8 text (byte {error.start}); save the file as UTF-8") from error
    text, encoding = _detected(data)
    if _CONTROL_RE.search(text):
        raise ValueError(f"is not UTF-8 and holds control characters; {BINARY}")
    return text, encoding


def _detected(data: bytes) -> tuple[str, str]:
    """The detector's decoding of ``data`` (a preferred encoding on a tie); ValueError if none."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise ValueError(f"is not UTF-8 and no text encoding fits it; {BINARY}")
    least = min(match.chaos for match in matches)
    cleanest = [match for match in matches if match.chaos <= least]
    for encoding in PREFERRED_ENCODINGS:
        if any(encoding in match.could_be_from_charset for match in cleanest):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:  # the detector judged a sample; the whole file decides
                continue
    return str(cleanest[0]), cleanest[0].encoding
