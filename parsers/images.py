"""Scanned invoices sent as images (JPEG, PNG, TIFF): OCR into the same page model as a PDF.

Tesseract reads the image when it is installed with Dutch data; every word it returns
is capped below the acceptance threshold (see `parsers.ocr`), so no value read from an
image is acted on without staff review.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, UnidentifiedImageError

from parsers.model import Problem
from parsers.ocr import OCR_DPI, ocr_available, ocr_png
from parsers.pdf import PdfDocument, PdfPage, Word

logger = logging.getLogger(__name__)

# Images above this many pixels are not decoded: a hostile header could otherwise
# make Pillow allocate gigabytes. An A4 scan at 300 dpi has about 8.7 million.
MAX_PIXELS = 40_000_000
DEFAULT_DPI = 150.0
DEFAULT_OCR_SECONDS = 60.0

MESSAGES = {
    "image_ocr": "De factuur is een afbeelding (scan); de tekst is met OCR gelezen, controleer de waarden",
    "image_not_read": "De factuur is een afbeelding (scan) en OCR is niet beschikbaar; handmatig overnemen",
    "image_unreadable": "De afbeelding is beschadigd of geen afbeelding en kon niet gelezen worden",
}


def read_image(data: bytes, *, source: str = "", ocr: bool = True, ocr_seconds: float = DEFAULT_OCR_SECONDS) -> PdfDocument:
    """OCR one image into a one-page PdfDocument with positions in points (1/72 inch).

    Returns a document without pages and with a Problem when the image cannot be
    decoded or OCR is not available.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return _failed("image_unreadable", source)
            dpi = _dpi(image)
            image.load()
            prepared = _prepared(image, dpi)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        logger.info("image could not be decoded: %s", error)
        return _failed("image_unreadable", source)

    if not ocr or not ocr_available():
        return _failed("image_not_read", source)

    scale = OCR_DPI / 72 if dpi < OCR_DPI else dpi / 72
    buffer = io.BytesIO()
    prepared.save(buffer, format="PNG")
    found = ocr_png(buffer.getvalue(), scale=scale, timeout_seconds=ocr_seconds)
    if found is None:
        return _failed("image_not_read", source)
    words = tuple(Word(word.text, word.x0, word.top, word.x1, word.bottom, word.confidence) for word in found)
    page = PdfPage(number=1, width=prepared.width / scale, height=prepared.height / scale, words=words, from_ocr=True)
    problem = Problem("image_ocr", MESSAGES["image_ocr"], source=source)
    return PdfDocument(pages=(page,), page_count=1, problems=(problem,), source=source)


def _dpi(image: Image.Image) -> float:
    value = image.info.get("dpi")
    if isinstance(value, tuple) and value and isinstance(value[0], (int, float)) and 50 <= float(value[0]) <= 1200:
        return float(value[0])
    return DEFAULT_DPI


def _prepared(image: Image.Image, dpi: float) -> Image.Image:
    """Return the image in greyscale, enlarged to the OCR resolution when it was scanned coarser."""
    grey = image.convert("L")
    if dpi >= OCR_DPI:
        return grey
    factor = OCR_DPI / dpi
    return grey.resize((round(grey.width * factor), round(grey.height * factor)), Image.Resampling.LANCZOS)


def _failed(code: str, source: str) -> PdfDocument:
    return PdfDocument(pages=(), page_count=0, problems=(Problem(code, MESSAGES[code], source=source),), source=source)
