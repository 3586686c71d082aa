"""Optional OCR of PDF pages without a usable text layer, through the Tesseract command.

OCR runs only when the `tesseract` binary is installed with Dutch data (`nld`). Each call
is bounded by a timeout, and every word it returns carries Tesseract's own confidence
scaled to 0..1 and capped below the acceptance threshold, so OCR values always go to
staff review.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import shutil
import subprocess
from dataclasses import dataclass

from parsers.model import ACCEPT_CONFIDENCE

logger = logging.getLogger(__name__)

OCR_DPI = 300
# Highest confidence an OCR word may carry, so that no OCR value is accepted unreviewed.
OCR_MAX_CONFIDENCE = round(ACCEPT_CONFIDENCE - 0.1, 2)


@dataclass(frozen=True)
class OcrWord:
    """A word Tesseract found, in PDF points from the top-left corner of the page."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float


@functools.lru_cache(maxsize=1)
def tesseract_languages() -> frozenset[str]:
    """Return the languages the installed Tesseract can read; empty when it is missing."""
    binary = shutil.which("tesseract")
    if binary is None:
        return frozenset()
    try:
        completed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("tesseract --list-langs failed: %s", error)
        return frozenset()
    lines = completed.stdout.splitlines()[1:]  # the first line is a heading
    return frozenset(line.strip() for line in lines if line.strip())


def ocr_available() -> bool:
    """Tell whether Tesseract with Dutch data is installed."""
    return "nld" in tesseract_languages()


def ocr_png(png: bytes, *, scale: float, timeout_seconds: float) -> list[OcrWord] | None:
    """Run Tesseract on one PNG page image and return its words, or None when it failed.

    `scale` is image pixels per PDF point (dpi / 72), used to convert boxes back to points.
    """
    languages = "nld+eng" if "eng" in tesseract_languages() else "nld"
    command = [shutil.which("tesseract") or "tesseract", "stdin", "stdout", "-l", languages, "--psm", "3", "tsv"]
    try:
        completed = subprocess.run(command, input=png, capture_output=True, timeout=timeout_seconds, check=False)
    except subprocess.TimeoutExpired:
        logger.warning("tesseract timed out after %.0f s", timeout_seconds)
        return None
    except OSError as error:
        logger.warning("tesseract could not be started: %s", error)
        return None
    if completed.returncode != 0:
        logger.warning("tesseract failed with exit code %s", completed.returncode)
        return None
    return _words_from_tsv(completed.stdout.decode("utf-8", errors="replace"), scale)


def _words_from_tsv(tsv: str, scale: float) -> list[OcrWord]:
    words: list[OcrWord] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            left, top = float(row["left"]), float(row["top"])
            width, height = float(row["width"]), float(row["height"])
            confidence = max(float(row["conf"]), 0.0) / 100
        except (KeyError, TypeError, ValueError):
            continue
        words.append(
            OcrWord(
                text=text,
                x0=left / scale,
                top=top / scale,
                x1=(left + width) / scale,
                bottom=(top + height) / scale,
                confidence=min(confidence, OCR_MAX_CONFIDENCE),
            )
        )
    return words
