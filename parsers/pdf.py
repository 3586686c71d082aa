"""PDF step of extraction: words with their boxes, from the text layer or from OCR.

PDFium (through pypdfium2) reads the text layer: it opens AES-256 files with an empty
user password in memory, repairs many broken cross-reference tables, and returns
characters with boxes far faster than pdfminer-based pdfplumber. Words are built here
from the character boxes, so text drawn as several objects ("€", "1.234", ",56") is
joined by position, not by the order of the content stream.

Coordinates are PDF points with the origin at the top-left corner of the page, as in
pdfplumber: `top` grows downwards.
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
import re
import threading
import time
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.model import Problem
from parsers.ocr import OCR_DPI, ocr_available, ocr_png

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10
DEFAULT_OCR_SECONDS = 60.0
# A page with fewer visible characters than this is treated as having no text layer.
MIN_TEXT_CHARS = 20
# Share of garbage characters above which a text layer counts as unreadable.
MAX_GARBAGE_SHARE = 0.2
# Pages larger than this many square points are not rendered for OCR (an A4 page is
# about 0.5 million); a hostile page size would otherwise allocate gigabytes.
MAX_OCR_PAGE_AREA = 4_000_000
# Pixels of all images on a page above which it is not rendered for OCR: PDFium decodes
# each image whole, so an 875 KB file with one 30,000 x 30,000 image used 1.1 GB. A
# 600 dpi A4 colour scan has about 35 million pixels.
MAX_OCR_IMAGE_PIXELS = 60_000_000
# Page objects and form nesting levels inspected when adding up image pixels.
_MAX_OBJECTS_INSPECTED = 10_000
_MAX_FORM_DEPTH = 8

# Characters read per page. A dense A4 page of terms has about 10,000; a page with many
# more is hostile or not a document a person reads, and every character costs Python
# work in the word, line and field steps.
MAX_PAGE_CHARS = 30_000
# Characters read per document; pages after the one that reaches this are skipped.
MAX_DOCUMENT_CHARS = 100_000
# Page objects (text runs, paths, images) above which a page's text is not read at all:
# PDFium needs about 1 s to build the text of a page with 100,000 text objects.
MAX_PAGE_OBJECTS = 50_000

# Confidence of a word drawn so that a reader of the printed page cannot see it: in
# invisible render mode, in white or fully transparent fill, or smaller than
# MIN_VISIBLE_FONT_SIZE points. Such text may be a scanner's OCR layer, white text on a
# dark band, or a planted value, so it is never acted on unreviewed.
HIDDEN_TEXT_CONFIDENCE = 0.5
MIN_VISIBLE_FONT_SIZE = 2.0
# Render modes 3 (invisible) and 7 (clip only) paint nothing (PDF 32000-1:2008, 9.3.6).
_INVISIBLE_RENDER_MODES = (3, 7)

# Bytes that the compressed (FlateDecode) streams of a PDF other than images may unpack
# to. PDFium inflates a page's content stream whole, and a 1 MB file whose stream
# unpacked to 1 GB used 2 GB of memory. Images are left out: they are decoded only for
# OCR, which MAX_OCR_IMAGE_PIXELS bounds.
MAX_INFLATED_BYTES = 100 * 1024 * 1024

# Embedded files read from one PDF, and the largest one kept; an e-invoice XML is
# seldom above a few hundred KiB.
MAX_EMBEDDED_FILES = 20
MAX_EMBEDDED_BYTES = 5 * 1024 * 1024

_SPACE_CHARS = {" ", "\u00a0", "\u202f", "\u2009", "\u2007", "\t", "\r", "\n", "\u200b"}

MESSAGES = {
    "pdf_unreadable": "De PDF is beschadigd of geen PDF en kon niet gelezen worden",
    "pdf_encrypted": "De PDF is met een wachtwoord beveiligd; vraag de cliënt een onbeveiligde versie",
    "pdf_no_text_layer": "De PDF heeft geen tekstlaag (scan); handmatig overnemen",
    "pdf_no_text_layer_ocr": "De PDF heeft geen tekstlaag (scan); de tekst is met OCR gelezen, controleer de waarden",
    "pdf_text_layer_unreadable": "De tekst in de PDF is onleesbaar (lettertype zonder tekentabel); handmatig overnemen",
    "pdf_text_layer_unreadable_ocr": "De tekst in de PDF is onleesbaar (lettertype zonder tekentabel); de tekst is met OCR gelezen, controleer de waarden",
    "pdf_bomb": "De PDF pakt uit tot een onredelijke omvang (mogelijk een zip-bom) en is niet gelezen; bekijk het bestand handmatig",
    "pdf_pages_skipped": "Alleen de eerste {read} van {total} pagina's van de PDF zijn gelezen",
    "pdf_hidden_text": (
        "De PDF bevat cijfers in onzichtbare of nauwelijks zichtbare tekst (wit, verborgen of minuscuul); "
        "controleer de bedragen en data met wat er zichtbaar op de factuur staat"
    ),
    "pdf_page_too_dense": "Pagina {page} van de PDF bevat te veel tekens of objecten om volledig te lezen; controleer de waarden",
}


@dataclass(frozen=True)
class Word:
    """A word on a page with its box in points; `confidence` is below 1 for OCR words."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Line:
    """Words whose vertical extents overlap, ordered left to right."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def confidence(self) -> float:
        return min(word.confidence for word in self.words)


@dataclass(frozen=True)
class PdfPage:
    """One page: its size in points, its words, and whether they came from OCR."""

    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...]
    from_ocr: bool = False

    def lines(self) -> list[Line]:
        return group_lines(self.words)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines())


@dataclass(frozen=True)
class PdfDocument:
    """The pages read from one PDF, and what went wrong while reading it."""

    pages: tuple[PdfPage, ...]
    page_count: int = 0
    problems: tuple[Problem, ...] = ()
    encrypted: bool = False
    source: str = ""  # where the PDF came from, e.g. "attachment[0]:Factuur.pdf"
    # Files embedded in the PDF (name, bytes), such as the XML of a Factur-X or ZUGFeRD invoice.
    embedded_files: tuple[tuple[str, bytes], ...] = ()
    # True when the PDF says it carries a Factur-X, ZUGFeRD or XRechnung invoice.
    declares_einvoice: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    @property
    def from_ocr(self) -> bool:
        return any(page.from_ocr for page in self.pages)

    @property
    def problem_codes(self) -> tuple[str, ...]:
        return tuple(problem.code for problem in self.problems)


_PDFIUM_LOCK = threading.Lock()


def read_pdf(
    data: bytes,
    *,
    source: str = "",
    max_pages: int = DEFAULT_MAX_PAGES,
    ocr: bool = True,
    ocr_seconds: float = DEFAULT_OCR_SECONDS,
) -> PdfDocument:
    """Read the words of the first `max_pages` pages of a PDF.

    Bad or hostile bytes give a `pdf_unreadable` or `pdf_encrypted` Problem instead of
    an exception. Only PDFium's own errors are caught, so a bug here still raises.

    `data` is not modified: encrypted files are decrypted in memory. Pages without a
    usable text layer are read with Tesseract when it is installed with Dutch data and
    `ocr` is True, within `ocr_seconds` for the whole document.
    """
    if b"%PDF-" not in data[:1024]:
        return _failed("pdf_unreadable", source)
    if _inflates_beyond(data, MAX_INFLATED_BYTES):
        logger.warning("PDF not read: its streams unpack to more than %s bytes", MAX_INFLATED_BYTES)
        return _failed("pdf_bomb", source)

    # PDFium is not thread-safe, and the daemon and the web app may read PDFs from
    # several threads of one process; one reader at a time.
    with _PDFIUM_LOCK:
        return _open_and_read(data, source, max_pages, ocr, ocr_seconds)


def _open_and_read(data: bytes, source: str, max_pages: int, ocr: bool, ocr_seconds: float) -> PdfDocument:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return _failed("pdf_encrypted", source, encrypted=True)
        logger.info("PDF could not be opened: %s", error)
        return _failed("pdf_unreadable", source)

    try:
        return _read_document(document, data, source, max_pages, ocr, ocr_seconds)
    finally:
        document.close()


def _read_document(
    document: pdfium.PdfDocument, data: bytes, source: str, max_pages: int, ocr: bool, ocr_seconds: float
) -> PdfDocument:
    problems: list[Problem] = []
    page_count = len(document)
    if page_count == 0:
        return _failed("pdf_unreadable", source)
    if page_count > max_pages:
        problems.append(
            # Invoice fields sit on the first pages; a missing field is reported on its own.
            Problem("pdf_pages_skipped", MESSAGES["pdf_pages_skipped"].format(read=max_pages, total=page_count), source=source, blocking=False)
        )

    pages: list[PdfPage] = []
    empty_pages: list[int] = []
    garbage_pages: list[int] = []
    chars_read = 0
    for index in range(min(page_count, max_pages)):
        if chars_read >= MAX_DOCUMENT_CHARS:
            message = MESSAGES["pdf_pages_skipped"].format(read=index, total=page_count)
            problems.append(Problem("pdf_pages_skipped", message, source=source, blocking=False))
            break
        try:
            page = document[index]
        except pdfium.PdfiumError:
            problems.append(Problem("pdf_unreadable", MESSAGES["pdf_unreadable"], source=f"{source}#page={index + 1}"))
            continue
        try:
            if pdfium_c.FPDFPage_CountObjects(page.raw) > MAX_PAGE_OBJECTS:
                text = _PageText([], 0, 0, cut=True)
            else:
                text = _page_words(page, MAX_DOCUMENT_CHARS - chars_read)
            width, height = page.get_size()
        finally:
            page.close()
        words, visible, garbage, cut = text.words, text.visible, text.garbage, text.cut
        if text.hidden_digits:
            problems.append(Problem("pdf_hidden_text", MESSAGES["pdf_hidden_text"], source=f"{source}#page={index + 1}"))
        chars_read += visible
        if cut:
            message = MESSAGES["pdf_page_too_dense"].format(page=index + 1)
            problems.append(Problem("pdf_page_too_dense", message, source=f"{source}#page={index + 1}"))
            chars_read = max(chars_read, MAX_DOCUMENT_CHARS)  # a hostile page: read no further pages
            if not words:
                pages.append(PdfPage(number=index + 1, width=width, height=height, words=()))
                continue

        if visible < MIN_TEXT_CHARS:
            empty_pages.append(index)
        elif garbage / visible > MAX_GARBAGE_SHARE:
            garbage_pages.append(index)
            words = []
        pages.append(PdfPage(number=index + 1, width=width, height=height, words=tuple(words)))

    needs_ocr = empty_pages + garbage_pages
    ocr_done: set[int] = set()
    if needs_ocr and ocr and ocr_available():
        ocr_done = _ocr_pages(document, pages, needs_ocr, ocr_seconds)

    text_pages = [page for page in pages if page.words and page.number - 1 not in ocr_done]
    if empty_pages and not text_pages and not garbage_pages:
        problems.append(_no_text_problem("pdf_no_text_layer", bool(ocr_done), source))
    elif garbage_pages:
        problems.append(_no_text_problem("pdf_text_layer_unreadable", bool(ocr_done), source))

    encrypted = _is_encrypted(data)
    return PdfDocument(
        tuple(pages),
        page_count,
        tuple(problems),
        encrypted,
        source,
        embedded_files=_embedded_files(document),
        declares_einvoice=_declares_einvoice(data),
    )


_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")


def _inflates_beyond(data: bytes, limit: int) -> bool:
    """Tell whether the FlateDecode streams that are not images unpack to more than `limit` bytes.

    Each stream is inflated in 1 MiB steps and the output is only counted, so the check
    itself stays small. NOTE: streams of an encrypted PDF do not inflate here and are not counted.
    """
    total = 0
    for match in _STREAM_START.finditer(data):
        head = data[max(0, match.start() - 1024) : match.start()]
        dictionary = head[head.rfind(b"<<") :]
        if b"/FlateDecode" not in dictionary or b"/Image" in dictionary:
            continue
        end = data.find(b"endstream", match.end())
        inflater = zlib.decompressobj()
        pending = data[match.end() : end if end >= 0 else len(data)]
        try:
            while pending and not inflater.eof:
                produced = len(inflater.decompress(pending, 1 << 20))
                total += produced
                if total > limit:
                    return True
                if not produced and len(inflater.unconsumed_tail) == len(pending):
                    break  # no progress: zlib needs input that is not there
                pending = inflater.unconsumed_tail
        except zlib.error:
            continue
    return False


def _embedded_files(document: pdfium.PdfDocument) -> tuple[tuple[str, bytes], ...]:
    """Return the embedded files that may be e-invoice XML, within count and size limits."""
    files: list[tuple[str, bytes]] = []
    try:
        count = document.count_attachments()
    except pdfium.PdfiumError:
        return ()
    for index in range(min(count, MAX_EMBEDDED_FILES)):
        try:
            attachment = document.get_attachment(index)
            name = attachment.get_name() or f"embedded-{index}"
            if not name.lower().endswith(".xml"):
                continue
            payload = bytes(attachment.get_data())
        except (pdfium.PdfiumError, OSError, ValueError) as error:
            logger.info("embedded file %s could not be read: %s", index, error)
            continue
        if len(payload) <= MAX_EMBEDDED_BYTES:
            files.append((name, payload))
    return tuple(files)


def _declares_einvoice(data: bytes) -> bool:
    """Tell whether the XMP metadata or a file spec names a Factur-X / ZUGFeRD / XRechnung XML."""
    markers = (b"factur-x.xml", b"ZUGFeRD-invoice.xml", b"zugferd-invoice.xml", b"xrechnung.xml", b"urn:factur-x:pdfa", b"urn:ferd:pdfa")
    return any(marker in data for marker in markers)


def _no_text_problem(code: str, ocr_done: bool, source: str) -> Problem:
    message = MESSAGES[f"{code}_ocr"] if ocr_done else MESSAGES[code]
    return Problem(code, message, source=source)


def _failed(code: str, source: str, *, encrypted: bool = False) -> PdfDocument:
    return PdfDocument(pages=(), page_count=0, problems=(Problem(code, MESSAGES[code], source=source),), encrypted=encrypted, source=source)


def _is_encrypted(data: bytes) -> bool:
    tail = data[-4096:]
    return b"/Encrypt" in tail or b"/Encrypt" in data[:4096]


@dataclass(frozen=True)
class _PageText:
    """The words of one page and what reading them found."""

    words: list[Word]
    visible: int  # characters other than spaces
    garbage: int  # characters without a usable Unicode value
    cut: bool = False  # the page had more characters than were read
    hidden_digits: bool = False  # some digit is drawn where a reader cannot see it


def _page_words(page: pdfium.PdfPage, budget: int = MAX_PAGE_CHARS) -> _PageText:
    """Read the words of a page and count its visible and garbage characters.

    Only the first MAX_PAGE_CHARS characters are read, and no more than `budget`; the
    page counts as cut when it has more. Characters wholly outside the page's visible
    box are dropped, and hidden ones (see HIDDEN_TEXT_CONFIDENCE) get a low confidence.

    Characters drawn twice on nearly the same spot ("fake bold") are kept once, and
    sideways text is turned upright and placed below the page (see `_upright`).
    """
    textpage = page.get_textpage()
    try:
        height = page.get_height()
        width = page.get_width()
        count = pdfium_c.FPDFText_CountChars(textpage.raw)
        limit = min(MAX_PAGE_CHARS, max(budget, 0))
        chars = _without_overprint(_page_chars(textpage, height, min(count, limit), page.get_bbox()))
        chars = _with_visibility_checked(page, chars)
    finally:
        textpage.close()

    visible = [char for char in chars if char.text not in _SPACE_CHARS]
    garbage = sum(1 for char in visible if char.garbage)
    upright = [char for char in chars if char.quarter_turns == 0]
    words = _build_words(upright)
    for turns in (1, 3):
        turned = [char for char in chars if char.quarter_turns == turns]
        if any(char.text not in _SPACE_CHARS for char in turned):
            words.extend(_build_words([_upright(char, width, height) for char in turned]))
    hidden_digits = any(char.hidden and char.text.isdigit() for char in visible)
    return _PageText(words, len(visible), garbage, count > limit, hidden_digits)


@dataclass(frozen=True)
class _Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    garbage: bool
    # Rotation of the text in quarter turns counter-clockwise: 0 upright, 1 reading
    # bottom to top, 2 upside down, 3 reading top to bottom.
    quarter_turns: int = 0
    hidden: bool = False  # drawn so that a reader of the page cannot see it
    white: bool = False  # filled in white: visible only on a dark background


# Sideways text is laid out below the page, this far under its bottom edge, so that
# it forms lines of its own and never merges with the upright text.
SIDEWAYS_OFFSET = 40.0


def _upright(char: _Char, page_width: float, page_height: float) -> _Char:
    """Turn a sideways character upright, in a band below the page per direction.

    Positions of such words are therefore not page positions; their `top` is larger
    than the page height.
    """
    if char.text in _SPACE_CHARS and char.x0 == char.x1:
        return char
    if char.quarter_turns == 1:
        # Reading bottom to top: the reading axis is upwards, lines follow to the right.
        x0, x1 = page_height - char.bottom, page_height - char.top
        top, bottom = char.x0, char.x1
    else:
        # Reading top to bottom: the reading axis is downwards, lines follow to the left.
        x0, x1 = char.top, char.bottom
        top, bottom = page_width - char.x1, page_width - char.x0
    offset = page_height + SIDEWAYS_OFFSET
    if char.quarter_turns == 3:
        offset += page_width + SIDEWAYS_OFFSET  # a band of its own under the other sideways band
    return replace(char, x0=x0, x1=x1, top=top + offset, bottom=bottom + offset)


def _without_overprint(chars: list[_Char]) -> list[_Char]:
    """Drop characters drawn a second time over the same character ("fake bold").

    Word processors imitate bold by drawing each glyph two to four times, shifted by a
    fraction of a point. A copy is the same character whose box starts within a third
    of the character's width and height of a kept one; real double letters ("ee") sit a
    whole width apart.
    """
    kept: list[_Char] = []
    seen: dict[tuple[str, int, int], list[_Char]] = {}
    for char in chars:
        if char.text in _SPACE_CHARS:
            kept.append(char)
            continue
        key_x, key_y = int(char.x0 // 2), int(char.top // 2)
        width = max(char.x1 - char.x0, 0.5)
        height = max(char.bottom - char.top, 0.5)
        duplicate = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for other in seen.get((char.text, key_x + dx, key_y + dy), ()):
                    if abs(other.x0 - char.x0) < width / 3 and abs(other.top - char.top) < height / 3:
                        duplicate = True
        if duplicate:
            continue
        seen.setdefault((char.text, key_x, key_y), []).append(char)
        kept.append(char)
    return kept


def _page_chars(
    textpage: pdfium.PdfTextPage, page_height: float, count: int, box: tuple[float, float, float, float]
) -> list[_Char]:
    """Return the first `count` characters of the text page with their boxes.

    `box` is the page's visible area (left, bottom, right, top) in PDF points; a character
    wholly outside it is not returned.
    """
    handle = textpage.raw
    rect = pdfium_c.FS_RECTF()
    left, bottom, right, top = box
    chars: list[_Char] = []
    turns = 0
    for index in range(max(count, 0)):
        code = pdfium_c.FPDFText_GetUnicode(handle, index)
        if pdfium_c.FPDFText_IsGenerated(handle, index):
            chars.append(_Char(" ", 0, 0, 0, 0, 0, False, turns))
            continue
        text = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if not pdfium_c.FPDFText_GetLooseCharBox(handle, index, ctypes.byref(rect)):
            continue
        if rect.right < left or rect.left > right or rect.top < bottom or rect.bottom > top:
            continue  # off the page: no reader sees it
        garbage = _is_garbage(text) or bool(pdfium_c.FPDFText_HasUnicodeMapError(handle, index))
        turns = _quarter_turns(pdfium_c.FPDFText_GetCharAngle(handle, index))
        size = pdfium_c.FPDFText_GetFontSize(handle, index)
        chars.append(
            _Char(
                text=text,
                x0=rect.left,
                top=page_height - rect.top,
                x1=rect.right,
                bottom=page_height - rect.bottom,
                size=size,
                garbage=garbage,
                quarter_turns=turns,
                hidden=size < MIN_VISIBLE_FONT_SIZE or _is_hidden(handle, index),
                white=_is_white(handle, index),
            )
        )
    return chars


def _is_hidden(handle: Any, index: int) -> bool:
    """Tell whether a character is painted invisibly: render mode 3 or 7, or a fully transparent fill."""
    text_object = pdfium_c.FPDFText_GetTextObject(handle, index)
    if text_object and pdfium_c.FPDFTextObj_GetTextRenderMode(text_object) in _INVISIBLE_RENDER_MODES:
        return True
    red, green, blue, alpha = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    if not pdfium_c.FPDFText_GetFillColor(handle, index, ctypes.byref(red), ctypes.byref(green), ctypes.byref(blue), ctypes.byref(alpha)):
        return False
    return alpha.value == 0


def _is_white(handle: Any, index: int) -> bool:
    red, green, blue, alpha = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    if not pdfium_c.FPDFText_GetFillColor(handle, index, ctypes.byref(red), ctypes.byref(green), ctypes.byref(blue), ctypes.byref(alpha)):
        return False
    return min(red.value, green.value, blue.value) >= 245


def _with_visibility_checked(page: pdfium.PdfPage, chars: list[_Char]) -> list[_Char]:
    """Mark digits and white characters as hidden where the rendered page shows nothing at their place.

    White text on a dark band is real content, white text on the white page is not, and
    a digit may be clipped away or covered by a filled rectangle. The page is rendered
    once at 72 dpi, and a character whose box is one flat shade counts as hidden. Pages
    with images too large to render keep their white characters hidden and their digits
    unchecked.
    """
    white = [
        index
        for index, char in enumerate(chars)
        if (char.white or char.text.isdigit()) and not char.hidden and char.text not in _SPACE_CHARS and char.quarter_turns == 0
    ]
    if not white:
        return chars
    image = None
    if _image_pixels(page) <= MAX_OCR_IMAGE_PIXELS:
        try:
            image = page.render(scale=1, grayscale=True).to_pil()
        except (pdfium.PdfiumError, OSError, ValueError, MemoryError) as error:
            logger.info("page not rendered to check white text: %s", error)
    checked = list(chars)
    for index in white:
        char = chars[index]
        visible = not char.white
        if image is not None:
            box = (int(char.x0), int(char.top), max(int(char.x1 + 0.999), int(char.x0) + 1), max(int(char.bottom + 0.999), int(char.top) + 1))
            darkest, lightest = image.crop(box).getextrema()
            visible = lightest - darkest >= 32
        checked[index] = replace(char, hidden=not visible)
    return checked


def _quarter_turns(angle: float) -> int:
    """Round a character angle to counter-clockwise quarter turns.

    PDFium (build 159.0.8149.0, pypdfium2 5.15.2) measures the angle in radians clockwise (text reading bottom to top has
    3π/2) and returns -1 when it is unknown.
    """
    if angle < 0:
        return 0
    turns = (4 - round(angle / (math.pi / 2))) % 4
    # Upside-down text is rare and read as upright rather than dropped.
    return 0 if turns == 2 else turns


def _is_garbage(text: str) -> bool:
    if text == "\ufffd":
        return True
    category = unicodedata.category(text)
    return category in ("Cc", "Co", "Cn", "Cs")


def _build_words(chars: list[_Char]) -> list[Word]:
    """Join characters into words by position: a space, a gap or a change of line ends a word."""
    words: list[Word] = []
    current: list[_Char] = []

    def flush() -> None:
        if current:
            words.append(
                Word(
                    text=unicodedata.normalize("NFC", "".join(char.text for char in current)),
                    x0=min(char.x0 for char in current),
                    top=min(char.top for char in current),
                    x1=max(char.x1 for char in current),
                    bottom=max(char.bottom for char in current),
                    confidence=HIDDEN_TEXT_CONFIDENCE if any(char.hidden for char in current) else 1.0,
                )
            )
            current.clear()

    for char in chars:
        if char.text in _SPACE_CHARS:
            flush()
            continue
        if current and not _continues_word(current[-1], char):
            flush()
        current.append(char)
    flush()
    return _merge_adjacent(words)


def _continues_word(previous: _Char, char: _Char) -> bool:
    size = max(previous.size, char.size, 1.0)
    same_line = abs((previous.top + previous.bottom) / 2 - (char.top + char.bottom) / 2) < size * 0.5
    gap = char.x0 - previous.x1
    # Ligature parts ("fl") share one box, so a gap of minus a whole character is normal.
    overlap_allowed = max(size * 0.5, previous.x1 - previous.x0 + 0.5)
    return same_line and -overlap_allowed < gap < size * 0.2


def _merge_adjacent(words: list[Word]) -> list[Word]:
    """Join words drawn as separate text objects that touch on the same line ("1.234" + ",56")."""
    merged: list[Word] = []
    for line in group_lines(words):
        merged.extend(_merge_line(line.words))
    return merged


def _merge_line(words: tuple[Word, ...]) -> list[Word]:
    merged: list[Word] = []
    for word in words:
        if merged:
            last = merged[-1]
            height = max(last.bottom - last.top, 1.0)
            # Overlapping boxes happen where PDFium inserts a space inside a kerned word ("Af leveradres").
            touching = -height * 0.5 <= word.x0 - last.x1 < height * 0.12
            if touching and abs(last.middle - word.middle) < height * 0.3:
                merged[-1] = Word(last.text + word.text, last.x0, min(last.top, word.top), word.x1, max(last.bottom, word.bottom), min(last.confidence, word.confidence))
                continue
        merged.append(word)
    return merged


def group_lines(words: tuple[Word, ...] | list[Word]) -> list[Line]:
    """Group words into lines by vertical overlap, top to bottom, each left to right."""
    rows: list[_Row] = []
    for word in sorted(words, key=lambda item: (item.middle, item.x0)):
        if rows and rows[-1].accepts(word):
            rows[-1].add(word)
            continue
        rows.append(_Row(word))
    return [Line(tuple(sorted(row.words, key=lambda item: item.x0))) for row in rows]


class _Row:
    """Words of one line being grouped, with running extent and mean middle.

    Keeping the aggregates makes grouping linear in the number of words; recomputing
    them per word was quadratic, and a line of 100,000 words took minutes.
    """

    def __init__(self, word: Word) -> None:
        self.words = [word]
        self.top = word.top
        self.bottom = word.bottom
        self.middle_sum = word.middle

    def accepts(self, word: Word) -> bool:
        height = max(self.bottom - self.top, 1.0)
        row_middle = self.middle_sum / len(self.words)
        return self.top - height * 0.1 <= word.middle <= self.bottom + height * 0.1 and abs(word.middle - row_middle) < height * 0.45

    def add(self, word: Word) -> None:
        self.words.append(word)
        self.top = min(self.top, word.top)
        self.bottom = max(self.bottom, word.bottom)
        self.middle_sum += word.middle


def _ocr_pages(document: pdfium.PdfDocument, pages: list[PdfPage], indexes: list[int], budget_seconds: float) -> set[int]:
    """Replace the words of the given pages by OCR words; return the pages that were read."""
    deadline = time.monotonic() + budget_seconds
    scale = OCR_DPI / 72
    done: set[int] = set()
    for index in indexes:
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            logger.warning("OCR time budget used up; %s page(s) left unread", len(indexes) - len(done))
            break
        position = next((i for i, page in enumerate(pages) if page.number == index + 1), None)
        if position is None:
            continue
        width, height = pages[position].width, pages[position].height
        if width * height > MAX_OCR_PAGE_AREA:
            logger.warning("page %s too large to render for OCR", index + 1)
            continue
        png = _render_png(document, index, scale)
        if png is None:
            continue
        found = ocr_png(png, scale=scale, timeout_seconds=remaining)
        if found is None:
            continue
        words = tuple(Word(w.text, w.x0, w.top, w.x1, w.bottom, w.confidence) for w in found)
        pages[position] = PdfPage(number=index + 1, width=width, height=height, words=words, from_ocr=True)
        done.add(index)
    return done


def _render_png(document: pdfium.PdfDocument, index: int, scale: float) -> bytes | None:
    try:
        page = document[index]
        try:
            pixels = _image_pixels(page)
            if pixels > MAX_OCR_IMAGE_PIXELS:
                logger.warning("page %s not rendered for OCR: its images have %s pixels", index + 1, pixels)
                return None
            bitmap = page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil()
        finally:
            page.close()
    except (pdfium.PdfiumError, OSError, ValueError, MemoryError) as error:
        logger.warning("page %s could not be rendered for OCR: %s", index + 1, error)
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image_pixels(page: pdfium.PdfPage) -> int:
    """Add up the pixel sizes of the images on a page, also inside form XObjects.

    A page with more objects or deeper forms than inspected counts as too large.
    """
    budget = [_MAX_OBJECTS_INSPECTED]
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    objects = (pdfium_c.FPDFPage_GetObject(page.raw, position) for position in range(max(count, 0)))
    return _pixels_of(objects, 0, budget)


def _pixels_of(objects: Iterator[Any], depth: int, budget: list[int]) -> int:
    if depth > _MAX_FORM_DEPTH:
        return MAX_OCR_IMAGE_PIXELS + 1
    width, height = ctypes.c_uint(0), ctypes.c_uint(0)
    total = 0
    for handle in objects:
        budget[0] -= 1
        if budget[0] < 0:
            return MAX_OCR_IMAGE_PIXELS + 1
        kind = pdfium_c.FPDFPageObj_GetType(handle)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if pdfium_c.FPDFImageObj_GetImagePixelSize(handle, ctypes.byref(width), ctypes.byref(height)):
                total += width.value * height.value
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            count = pdfium_c.FPDFFormObj_CountObjects(handle)
            children = (pdfium_c.FPDFFormObj_GetObject(handle, position) for position in range(max(count, 0)))
            total += _pixels_of(children, depth + 1, budget)
        if total > MAX_OCR_IMAGE_PIXELS:
            break
    return total
