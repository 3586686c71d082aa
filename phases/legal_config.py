"""Location of the legal tables (interest rates, BIK scale, Atw days) in `config/legal/`."""

from __future__ import annotations

from pathlib import Path

LEGAL_CONFIG_DIR = Path(__file__).resolve().parents[1] / "config" / "legal"


class LegalConfigError(ValueError):
    """A legal table in `config/legal/` is missing, malformed or inconsistent."""
