"""Decoding helpers for MIME parts: charsets with a fallback chain, lenient base64, headers.

These exist because the standard library gives up where real mailers are sloppy: an
unknown charset label raises LookupError, base64 bodies made of separately padded chunks
decode only up to the first padding, and encoded words inside quoted parameters stay
encoded.
"""

from __future__ import annotations

import binascii
import codecs
import logging
import re
from dataclasses import dataclass
from email.header import Header, decode_header

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with the codec that worked and whether the declared one failed."""

    text: str
    codec: str
    fell_back: bool


# Python codecs that decode bytes to text but are no mail charsets. A label naming one
# would run an escape-sequence interpreter, or a decoder that is quadratic in the input
# length (punycode), over a body of up to the maximum message size.
_NOT_MAIL_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})


def lookup_charset(label: str) -> str | None:
    """Return the Python codec name for a charset label, trying common misspellings.

    Only text encodings count: "base64", "zlib" or "rot13" are Python codecs but no
    charsets, and decoding with them raises LookupError. Codecs in `_NOT_MAIL_CHARSETS`
    are rejected as well.
    """
    cleaned = label.strip().strip("\"'").lower()
    if not cleaned:
        return None
    candidates = [
        cleaned,
        cleaned.replace("-", ""),
        cleaned.replace("_", "-"),
        cleaned.removeprefix("x-"),
        cleaned.replace("windows", "cp").replace("-", ""),
    ]
    for candidate in candidates:
        try:
            info = codecs.lookup(candidate)
        except LookupError:
            continue
        if _is_mail_charset(info):
            return info.name
    return None


def _is_mail_charset(info: codecs.CodecInfo) -> bool:
    # CPython (3.4 and later) marks bytes-to-bytes codecs with `_is_text_encoding = False`.
    return bool(getattr(info, "_is_text_encoding", True)) and info.name not in _NOT_MAIL_CHARSETS


def decode_text(data: bytes, declared: str | None) -> DecodedText:
    """Decode body bytes: the declared charset, its normalised alias, strict UTF-8, then windows-1252.

    `fell_back` is True when a charset was declared but could not decode the bytes.
    windows-1252 decodes every byte except five unassigned ones, which become U+FFFD.
    """
    declared_label = (declared or "").strip().strip("\"'")
    codec = lookup_charset(declared_label) if declared_label else None
    if codec is not None:
        try:
            return DecodedText(data.decode(codec), codec, not _is_known_label(declared_label))
        except UnicodeError:  # UnicodeDecodeError, and the plain UnicodeError some codecs raise
            pass

    fell_back = bool(declared_label) and declared_label.lower() not in ("us-ascii", "ascii")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", fell_back)
    except UnicodeDecodeError:
        pass
    return DecodedText(data.decode("cp1252", errors="replace"), "cp1252", bool(declared_label))


def _is_known_label(label: str) -> bool:
    try:
        info = codecs.lookup(label)
    except LookupError:
        return False
    return _is_mail_charset(info)


@dataclass(frozen=True)
class Base64Result:
    """Bytes decoded from a base64 body, and whether all of the input could be decoded."""

    data: bytes
    complete: bool
    invalid_characters: int


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_WHITESPACE = re.compile(rb"\s")
# Split after a run of padding when more data follows: "QQ==QkM=" -> "QQ==", "QkM=".
_AFTER_PADDING = re.compile(rb"(?<==)(?=[^=])")


def decode_base64(body: bytes) -> Base64Result:
    """Decode a base64 body that may be several independently padded chunks joined together.

    Each chunk is decoded on its own, so a body with "==" in the middle decodes to its
    full length. `complete` is False when a chunk ends in a partial quantum that cannot
    be decoded (the body was cut off).
    """
    without_space = _WHITESPACE.sub(b"", body)
    cleaned = _NOT_BASE64.sub(b"", without_space)
    invalid = len(without_space) - len(cleaned)

    decoded = bytearray()
    complete = True
    for chunk in _AFTER_PADDING.split(cleaned):
        digits = chunk.rstrip(b"=")
        if b"=" in digits:
            # Padding inside a quantum ("QQ=A"): drop the stray padding characters.
            digits = digits.replace(b"=", b"")
            complete = False
        remainder = len(digits) % 4
        if remainder == 1:
            digits = digits[:-1]
            complete = False
        padded = digits + b"=" * (-len(digits) % 4)
        try:
            decoded += binascii.a2b_base64(padded, strict_mode=True)
        except binascii.Error:
            complete = False
    return Base64Result(bytes(decoded), complete, invalid)


# Maximum length, in characters, of a header value whose RFC 2047 encoded words are decoded. The
# standard library decoder is quadratic in the number of encoded words (100,000 words
# took 15 s), and no real subject or file name comes near this length.
MAX_DECODED_HEADER_CHARS = 16_384


def decode_header_value(value: object) -> str:
    """Decode a header value: RFC 2047 encoded words, raw 8-bit bytes, folding.

    Encoded words inside quoted strings are decoded as well, because Outlook and Gmail
    put them in attachment names. NUL characters are dropped. A value longer than
    MAX_DECODED_HEADER_CHARS is cut to that length before decoding. Never raises.
    """
    return _decode_header_text(value).replace("\x00", "")


def _decode_header_text(value: object) -> str:
    if isinstance(value, Header):
        text = _decode_parts(decode_header(value))
        return _unfold(text)

    text = str(value) if value is not None else ""
    if _has_surrogates(text):
        raw = text.encode("ascii", errors="surrogateescape")
        text = decode_text(raw, "utf-8").text

    unfolded = _unfold(text)
    if "=?" not in unfolded:
        return unfolded
    unfolded = unfolded[:MAX_DECODED_HEADER_CHARS]
    try:
        parts = decode_header(unfolded)
    except (ValueError, binascii.Error, UnicodeError):
        logger.debug("undecodable encoded word kept as is")
        return unfolded
    return _decode_parts(parts)


def _decode_parts(parts: list[tuple[bytes | str, str | None]]) -> str:
    pieces: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            pieces.append(chunk)
            continue
        pieces.append(decode_text(chunk, charset).text)
    return "".join(pieces)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()
