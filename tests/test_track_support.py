"""Helpers shared by the track tests: seed a dossier straight into a migrated store.

This module holds no tests. The dossiers are built from rows, not through intake, so
the track tests do not depend on the mail parsers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from dossiers.db import make_engine, make_session_factory
from dossiers.models import Claim, Client, Debtor, Dossier
from dossiers.numbers import allocate_number

SEEDED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SeedClaim:
    invoice_number: str
    invoice_date: date
    due_date: date
    principal: Decimal


def seed_dossier(
    database_url: str,
    *,
    kind: str,
    claims: list[SeedClaim],
    opened_on: date,
    debtor_name: str = "Debiteur",
    debtor_email: str | None = None,
    client_email: str = "boekhouding@leverancier.example",
    client_name: str = "Leverancier B.V.",
    cannot_deduct_vat: bool = False,
) -> str:
    """Insert an active dossier with its client, debtor and claims; return its number."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            client = session.query(Client).filter_by(email=client_email).one_or_none()
            if client is None:
                client = Client(
                    name=client_name,
                    email=client_email,
                    street="Industrieweg 4",
                    postcode="3542 AD",
                    city="Utrecht",
                    cannot_deduct_vat=cannot_deduct_vat,
                    created_at=SEEDED_AT,
                )
                session.add(client)
            debtor = Debtor(
                name=debtor_name,
                kind=kind,
                contact=None,
                street="Dorpsstraat 7",
                postcode="1234 AB",
                city="Ons Dorp",
                country="NL",
                email=debtor_email,
                created_at=SEEDED_AT,
            )
            session.add(debtor)
            session.flush()
            dossier = Dossier(
                number=allocate_number(session, opened_on.year),
                client_id=client.id,
                debtor_id=debtor.id,
                status="active",
                phase=0,
                opened_on=opened_on,
                created_at=SEEDED_AT,
            )
            session.add(dossier)
            session.flush()
            for claim in claims:
                session.add(
                    Claim(
                        dossier_id=dossier.id,
                        invoice_number=claim.invoice_number,
                        invoice_date=claim.invoice_date,
                        due_date=claim.due_date,
                        total=claim.principal,
                        principal=claim.principal,
                        currency="EUR",
                    )
                )
            session.commit()
            return dossier.number
    finally:
        engine.dispose()


def pdf_lines(path: Path) -> list[str]:
    """Return the text lines of a PDF (pdftotext -layout), spaces collapsed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    return [re.sub(r"[ \u00a0]+", " ", line).strip() for line in text.splitlines() if line.strip()]
