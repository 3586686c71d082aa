"""Where the shared corpus and failure cases live, and a skip marker for tests that read them."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def requires_shared() -> pytest.MarkDecorator:
    """Mark a test as a corpus test that is skipped when ../shared is not beside the repository."""
    return pytest.mark.skipif(
        not SHARED.is_dir(),
        reason=f"shared corpus not found at {SHARED}; the corpus tests expect ../shared beside the repository",
    )
