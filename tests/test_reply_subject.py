"""Reply subjects: our dossiernummer first, the client's subject and ticket tag kept."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from daemon.replies import reply_subject

DOSSIER = SimpleNamespace(number="2026-000012-3")


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Factuur 2026-0100", "Dossier 2026-000012-3: Re: Factuur 2026-0100"),
        ("[Ticket#4411] Factuur juni", "Dossier 2026-000012-3: Re: [Ticket#4411] Factuur juni"),
        ("RE: [#123] incasso", "Dossier 2026-000012-3: RE: [#123] incasso"),
        ("Re: Dossier 2026-000012-3: Re: Factuur", "Re: Dossier 2026-000012-3: Re: Factuur"),
        ("", "Dossier 2026-000012-3: uw opdracht is ontvangen"),
        ("  Factuur\n  met   vouw ", "Dossier 2026-000012-3: Re: Factuur met vouw"),
    ],
)
def test_reply_subject(original: str, expected: str) -> None:
    assert reply_subject(DOSSIER, original) == expected  # type: ignore[arg-type]
