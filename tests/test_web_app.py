"""The staff desk through Flask's test client: login, every page and every action.

The example mails run through the real daemon once per module (see web.testing), and
each test works on its own copy of that SQLite file.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.settings import load_settings
from dossiers.ledger import PaymentRow, StaffTaskRow, ensure_task
from dossiers.models import Dossier, Event, OutboxItem, ReviewItem
from dossiers.users import LoginAttempt, User
from web.app import create_app
from web.testing import STAFF_EMAIL, STAFF_PASSWORD, SeededDesk, desk_environment, seed_desk

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Desk:
    app: Flask
    context: DaemonContext
    seed: SeededDesk
    tmp_path: Path

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededDesk]:
    base = tmp_path_factory.mktemp("desk")
    seed = seed_desk(base, f"sqlite:///{base / 'incasso.db'}", TODAY)
    seed.context.close()
    return base, seed


@pytest.fixture
def desk(seeded: tuple[Path, SeededDesk], tmp_path: Path) -> Iterator[Desk]:
    base, seed = seeded
    for path in base.glob("incasso.db*"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(base / "outbox", tmp_path / "outbox", dirs_exist_ok=True)
    environment = desk_environment(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    app = create_app(context=context, testing=True)
    yield Desk(app, context, seed, tmp_path)
    context.close()


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> str:
    """Log in and return the session's CSRF token."""
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post("/inloggen", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/").get_data(as_text=True))


def review_item_id(desk: Desk, code: str) -> int:
    with desk.context.session() as session:
        items = session.execute(select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id)).scalars()
        return next(item.id for item in items if any(reason["code"] == code for reason in item.reasons))


def active_dossier(desk: Desk) -> str:
    with desk.context.session() as session:
        return session.execute(select(Dossier.number).where(Dossier.status == "active").order_by(Dossier.id)).scalars().first()  # type: ignore[return-value]


def events(desk: Desk, kind: str) -> list[Event]:
    with desk.context.session() as session:
        return list(session.execute(select(Event).where(Event.kind == kind).order_by(Event.id)).scalars())


# --- access and login --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/controle", "/triage", "/dossiers", "/taken", "/controle/1", "/documenten/1", "/brieven/1.pdf", "/outbox/1"])
def test_pages_need_login(desk: Desk, path: str) -> None:
    response = desk.client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/inloggen?next=")


def test_post_without_login_rejected(desk: Desk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post(f"/dossiers/{active_dossier(desk)}/betaling", data={"csrf_token": token, "amount": "10,00"})
    assert response.status_code == 401
    with desk.context.session() as session:
        assert session.execute(select(func.count()).select_from(PaymentRow)).scalar_one() == 0


def test_login_and_logout(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    page = client.get("/").get_data(as_text=True)
    assert STAFF_EMAIL in page
    assert "Overzicht" in page
    assert [event.actor for event in events(desk, "login_succeeded")] == [STAFF_EMAIL]

    response = client.post("/uitloggen", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_login_wrong_password(desk: Desk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post("/inloggen", data={"email": STAFF_EMAIL, "password": "wrong-password-123", "csrf_token": token})
    assert response.status_code == 401
    assert "Onjuist e-mailadres of wachtwoord" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(events(desk, "login_failed")) == 1


def test_login_throttled_per_account(desk: Desk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    for _ in range(5):
        response = client.post("/inloggen", data={"email": STAFF_EMAIL, "password": "wrong-password-123", "csrf_token": token})
        assert response.status_code == 401
    response = client.post("/inloggen", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(events(desk, "login_throttled")) == 1


def test_login_throttled_per_ip(desk: Desk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    for number in range(20):
        client.post("/inloggen", data={"email": f"iemand{number}@example.org", "password": "wrong-password-123", "csrf_token": token})
    response = client.post("/inloggen", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    other_ip = desk.app.test_client()
    token = csrf_of(other_ip.get("/inloggen", environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_data(as_text=True))
    response = other_ip.post(
        "/inloggen", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert response.status_code == 302


def test_login_redirects_only_to_own_site(desk: Desk) -> None:
    client = desk.client()
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post("/inloggen?next=https://evil.example/", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_session_expires_when_idle(desk: Desk) -> None:
    client = desk.client()
    login(client)
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 31 * 60
    assert client.get("/").status_code == 302


def test_session_ends_when_password_changes(desk: Desk) -> None:
    client = desk.client()
    login(client)
    with desk.context.session() as session:
        user = session.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        user.session_epoch += 1
        session.commit()
    assert client.get("/").status_code == 302


def test_client_role_cannot_open_staff_pages(desk: Desk) -> None:
    from datetime import datetime, timezone

    from dossiers.models import Client
    from dossiers.users import create_user, issue_token, set_password_with_token

    now = datetime.now(timezone.utc)
    with desk.context.session() as session:
        client_id = session.execute(select(Client.id).order_by(Client.id)).scalars().first()
        user = create_user(session, "klant@example.org", "client", now=now, actor="test", client_id=client_id)
        set_password_with_token(session, issue_token(session, user, now=now).token, "klant-wachtwoord-2026", now=now)
        session.commit()
    client = desk.client()
    login(client, "klant@example.org", "klant-wachtwoord-2026")
    for path in ("/", "/controle", "/dossiers", "/taken", "/documenten/1"):
        assert client.get(path).status_code == 403, path


# --- one-time password link --------------------------------------------------------


def test_set_password_link_works_once(desk: Desk) -> None:
    from datetime import datetime, timezone

    from dossiers.users import create_user, issue_token

    now = datetime.now(timezone.utc)
    with desk.context.session() as session:
        user = create_user(session, "nieuw@alertincasso.example", "staff", now=now, actor="test")
        token = issue_token(session, user, now=now).token
        session.commit()
    client = desk.client()
    page = client.get(f"/wachtwoord/{token}")
    assert page.status_code == 200
    assert "nieuw@alertincasso.example" in page.get_data(as_text=True)
    csrf = csrf_of(page.get_data(as_text=True))

    short = client.post(f"/wachtwoord/{token}", data={"password": "kort", "password_again": "kort", "csrf_token": csrf})
    assert short.status_code == 400
    assert "te kort" in short.get_data(as_text=True)

    done = client.post(f"/wachtwoord/{token}", data={"password": "een-lang-wachtwoord", "password_again": "een-lang-wachtwoord", "csrf_token": csrf})
    assert done.status_code == 302
    assert client.get(f"/wachtwoord/{token}").status_code == 404
    login(client, "nieuw@alertincasso.example", "een-lang-wachtwoord")
    with desk.context.session() as session:
        stored = session.execute(select(User.password_hash).where(User.email == "nieuw@alertincasso.example")).scalar_one()
    assert stored.startswith("$argon2id$")


def test_expired_link_rejected(desk: Desk) -> None:
    from datetime import datetime, timedelta, timezone

    from dossiers.users import create_user, issue_token

    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    with desk.context.session() as session:
        user = create_user(session, "laat@alertincasso.example", "staff", now=earlier, actor="test")
        token = issue_token(session, user, now=earlier).token
        session.commit()
    response = desk.client().get(f"/wachtwoord/{token}")
    assert response.status_code == 404
    assert "verlopen" in response.get_data(as_text=True)


# --- CSRF and headers --------------------------------------------------------------


def test_post_without_csrf_rejected(desk: Desk) -> None:
    client = desk.client()
    login(client)
    number = active_dossier(desk)
    response = client.post(f"/dossiers/{number}/betaling", data={"amount": "10,00", "received_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert "formulier is verlopen" in response.get_data(as_text=True)
    wrong = client.post(f"/dossiers/{number}/betaling", data={"amount": "10,00", "csrf_token": "forged"})
    assert wrong.status_code == 400
    with desk.context.session() as session:
        assert session.execute(select(func.count()).select_from(PaymentRow)).scalar_one() == 0


def test_login_form_needs_csrf(desk: Desk) -> None:
    response = desk.client().post("/inloggen", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 400


def test_security_headers(desk: Desk) -> None:
    client = desk.client()
    login(client)
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    flags = desk.client().get("/inloggen").headers.get("Set-Cookie", "")
    assert "HttpOnly" in flags
    assert "SameSite=Lax" in flags


# --- pages -------------------------------------------------------------------------


def test_dashboard_numbers(desk: Desk) -> None:
    client = desk.client()
    login(client)
    page = client.get("/").get_data(as_text=True)
    with desk.context.session() as session:
        active = session.execute(select(func.count()).select_from(Dossier).where(Dossier.status == "active")).scalar_one()
        triage = session.execute(select(func.count()).select_from(ReviewItem).where(ReviewItem.kind == "triage", ReviewItem.status == "open")).scalar_one()
    assert f'<span class="number">{active}</span>\n    <span class="label">actieve dossiers' in page
    assert f'<span class="number">{triage}</span>\n    <span class="label">berichten in triage' in page
    assert "<svg class=\"chart\"" in page
    assert "Laatst opgehaald" in page
    assert "Fase 1: ingebrekestelling" in page


def test_review_queue_sorted_by_age(desk: Desk) -> None:
    client = desk.client()
    login(client)
    page = client.get("/controle").get_data(as_text=True)
    ids = [int(value) for value in re.findall(r'href="/controle/(\d+)">#', page)]
    with desk.context.session() as session:
        expected = list(
            session.execute(
                select(ReviewItem.id).where(ReviewItem.status == "open", ReviewItem.kind != "triage").order_by(ReviewItem.created_at, ReviewItem.id)
            ).scalars()
        )
    assert ids == expected
    assert "Niet zeker of de debiteur een bedrijf of een consument is" in page


def test_triage_lists_unknown_sender(desk: Desk) -> None:
    client = desk.client()
    login(client)
    page = client.get("/triage").get_data(as_text=True)
    assert desk.seed.unregistered_sender in page
    assert "Onbekende afzender" in page


def test_review_item_shows_fields_boxes_and_mail(desk: Desk) -> None:
    client = desk.client()
    login(client)
    item_id = review_item_id(desk, "debtor_kind_unsure")
    page = client.get(f"/controle/{item_id}").get_data(as_text=True)
    assert 'data-path="debtor.kind"' in page
    assert "Gijs de Wit" in page
    assert re.search(r'<rect id="box-field-\d+" class="box (high|medium|low)" x="[\d.]+" y="[\d.]+"', page)
    assert 'class="conf medium">50 %' in page
    image = re.search(r'<image href="(/berichten/\d+/bijlagen/\d+/pagina-1\.png)"', page)
    assert image is not None
    png = client.get(image.group(1))
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG")
    assert 'id="mail-text"' in page


def test_dossier_search(desk: Desk) -> None:
    client = desk.client()
    login(client)
    with desk.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.status == "active").order_by(Dossier.id)).scalars().first()
        assert dossier is not None
        number, debtor, client_name, invoice = dossier.number, dossier.debtor.name, dossier.client.name, dossier.claims[0].invoice_number
    for query in (debtor, client_name.upper(), invoice):
        page = client.get("/dossiers", query_string={"q": query}).get_data(as_text=True)
        assert f">{number}</a>" in page, query
    direct = client.get("/dossiers", query_string={"q": number})
    assert direct.status_code == 302
    assert direct.headers["Location"] == f"/dossiers/{number}"
    nothing = client.get("/dossiers", query_string={"q": "%_geen-treffer_%"}).get_data(as_text=True)
    assert "Geen dossiers gevonden" in nothing


def test_dossier_page(desk: Desk) -> None:
    client = desk.client()
    login(client)
    number = active_dossier(desk)
    page = client.get(f"/dossiers/{number}").get_data(as_text=True)
    assert f"Dossier {number}" in page
    assert 'id="balance-total"' in page
    assert "Ingebrekestelling" in page or "ingebrekestelling" in page
    assert "Dossier geopend" in page
    letter = re.search(r'href="(/brieven/\d+\.pdf)"', page)
    assert letter is not None
    pdf = client.get(letter.group(1))
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert pdf.data.startswith(b"%PDF")
    outbox = re.search(r'href="(/outbox/\d+)"', page)
    assert outbox is not None
    mail = client.get(outbox.group(1)).get_data(as_text=True)
    assert 'id="outbox-body"' in mail
    assert "Dossier" in mail


def test_unknown_ids_are_404(desk: Desk) -> None:
    client = desk.client()
    login(client)
    for path in ("/controle/9999", "/dossiers/2026-999999-9", "/documenten/9999", "/brieven/9999.pdf", "/outbox/9999", "/berichten/9999/bijlagen/0"):
        assert client.get(path).status_code == 404, path


# --- review actions ----------------------------------------------------------------


def test_correct_field_records_correction(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "debtor_kind_unsure")
    response = client.post(f"/controle/{item_id}/veld", data={"csrf_token": token, "path": "debtor.name", "value": "G. de Wit"})
    assert response.status_code == 302
    corrected = events(desk, "field_corrected")
    assert corrected[-1].actor == STAFF_EMAIL
    assert corrected[-1].data["after"] == "G. de Wit"
    assert corrected[-1].data["before"] == "Gijs de Wit"
    page = client.get(f"/controle/{item_id}").get_data(as_text=True)
    assert 'value="G. de Wit"' in page


def test_correct_field_invalid_value(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "debtor_kind_unsure")
    client.post(f"/controle/{item_id}/veld", data={"csrf_token": token, "path": "invoices[0].due_date", "value": "gisteren"})
    page = client.get(f"/controle/{item_id}").get_data(as_text=True)
    assert "Ongeldige datum" in page
    assert events(desk, "field_corrected") == []


def test_correct_field_rejects_unknown_path(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "debtor_kind_unsure")
    client.post(f"/controle/{item_id}/veld", data={"csrf_token": token, "path": "client.__class__", "value": "x"})
    assert "hoort niet bij deze controle" in client.get(f"/controle/{item_id}").get_data(as_text=True)
    assert events(desk, "field_corrected") == []


def test_approve_activates_dossier(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "debtor_kind_unsure")
    response = client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token, "debtor_kind": "consumer"})
    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[1]
    with desk.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        assert dossier.status == "active"
        assert dossier.debtor.kind == "consumer"
        assert session.get(ReviewItem, item_id).status == "approved"
    assert events(desk, "review_approved")[-1].actor == STAFF_EMAIL


def test_approve_incomplete_item_shows_reason(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "no_invoice_found")
    client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token})
    page = client.get(f"/controle/{item_id}").get_data(as_text=True)
    assert "Nog niet compleet" in page
    with desk.context.session() as session:
        assert session.get(ReviewItem, item_id).status == "open"


def test_reject_needs_reason(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "no_invoice_found")
    client.post(f"/controle/{item_id}/afwijzen", data={"csrf_token": token, "reason": " "})
    with desk.context.session() as session:
        assert session.get(ReviewItem, item_id).status == "open"
    response = client.post(f"/controle/{item_id}/afwijzen", data={"csrf_token": token, "reason": "Geen factuur, opdrachtgever gebeld"})
    assert response.status_code == 302
    with desk.context.session() as session:
        assert session.get(ReviewItem, item_id).status == "rejected"
    assert events(desk, "review_rejected")[-1].data["reason"] == "Geen factuur, opdrachtgever gebeld"


def test_attach_triage_item(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "unknown_sender")
    number = active_dossier(desk)
    bad = client.post(f"/controle/{item_id}/koppelen", data={"csrf_token": token, "number": "2026-000001-0"})
    assert bad.status_code == 302
    response = client.post(f"/controle/{item_id}/koppelen", data={"csrf_token": token, "number": number})
    assert response.headers["Location"] == f"/dossiers/{number}"
    with desk.context.session() as session:
        item = session.get(ReviewItem, item_id)
        assert item.status == "attached"
        assert item.dossier_id == session.execute(select(Dossier.id).where(Dossier.number == number)).scalar_one()
    assert events(desk, "message_attached")[-1].actor == STAFF_EMAIL


def test_register_unknown_sender_releases_mail(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "unknown_sender")
    response = client.post(f"/controle/{item_id}/opdrachtgever", data={"csrf_token": token, "name": "Nieuwe Klant B.V.", "kvk": ""})
    assert response.status_code == 302
    with desk.context.session() as session:
        open_unknown = [
            item for item in session.execute(select(ReviewItem).where(ReviewItem.status == "open")).scalars()
            if any(reason["code"] == "unknown_sender" for reason in item.reasons)
        ]
        assert open_unknown == []
    registered = events(desk, "client_registered")
    assert registered[-1].actor == STAFF_EMAIL


# --- dossier actions ---------------------------------------------------------------


def balance_of(desk: Desk, number: str) -> Decimal:
    from dossiers.queries import dossier_detail, find_dossier

    with desk.context.session() as session:
        dossier = find_dossier(session, number)
        assert dossier is not None
        return Decimal(dossier_detail(session, dossier, TODAY)["balance"])


def test_register_payment_lowers_balance(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    before = balance_of(desk, number)
    response = client.post(f"/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "100,00", "received_on": TODAY.isoformat(), "reference": "bank"})
    assert response.status_code == 302
    after = balance_of(desk, number)
    # The ledger allocates the payment to costs, interest and principal (art. 6:44 BW),
    # so the balance drops by at least the payment; the exact split is the ledger's.
    assert after <= before - Decimal("100.00")
    page = client.get(f"/dossiers/{number}").get_data(as_text=True)
    assert "Betaling van €\u00a0100,00" in page
    shown = re.search(r'id="balance-total">€\s([\d.]+,\d\d)<', page)
    assert shown is not None
    assert Decimal(shown.group(1).replace(".", "").replace(",", ".")) == after
    recorded = events(desk, "payment_recorded")
    assert recorded[-1].actor == STAFF_EMAIL
    assert recorded[-1].data["amount"] == "100.00"


def test_payment_errors_shown(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    client.post(f"/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "veel", "received_on": TODAY.isoformat()})
    assert "is geen bedrag" in client.get(f"/dossiers/{number}").get_data(as_text=True)
    client.post(f"/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "10", "received_on": "2099-01-01"})
    assert "ligt in de toekomst" in client.get(f"/dossiers/{number}").get_data(as_text=True)
    with desk.context.session() as session:
        assert session.execute(select(func.count()).select_from(PaymentRow)).scalar_one() == 0


def test_hold_lift_and_dispute(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    client.post(f"/dossiers/{number}/stilzetten", data={"csrf_token": token, "reason": "Opdrachtgever overlegt"})
    assert events(desk, "staff_hold_added")[-1].actor == STAFF_EMAIL
    assert "Hervatten" in client.get(f"/dossiers/{number}").get_data(as_text=True)
    client.post(f"/dossiers/{number}/hervatten", data={"csrf_token": token, "reason": "Overleg klaar"})
    assert events(desk, "staff_hold_lifted")[-1].data["reason"] == "Overleg klaar"
    client.post(f"/dossiers/{number}/betwisting", data={"csrf_token": token, "reason": "Levering onvolledig"})
    assert events(desk, "dispute_hold_added")[-1].data["reason"] == "Levering onvolledig"


def test_arrangement_and_end(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    client.post(f"/dossiers/{number}/regeling", data={"csrf_token": token, "count": "3", "amount": "150,00", "first": "2027-01-01", "grace_days": "5"})
    added = events(desk, "arrangement_added")
    assert added[-1].data["instalments"] == 3
    assert added[-1].data["total"] == "450.00"
    client.post(f"/dossiers/{number}/regeling-beeindigen", data={"csrf_token": token})
    assert len(events(desk, "arrangement_ended")) == 1


def test_consent_debtor_kind_and_close(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    client.post(f"/dossiers/{number}/toestemming", data={"csrf_token": token, "consented_on": TODAY.isoformat(), "note": "per mail"})
    assert events(desk, "court_consent_recorded")[-1].actor == STAFF_EMAIL
    client.post(f"/dossiers/{number}/debiteur", data={"csrf_token": token, "kind": "business"})
    assert events(desk, "debtor_profile_set")[-1].data["consumer"] is False
    client.post(f"/dossiers/{number}/sluiten", data={"csrf_token": token, "reason": ""})
    with desk.context.session() as session:
        assert session.execute(select(Dossier.status).where(Dossier.number == number)).scalar_one() == "active"
    client.post(f"/dossiers/{number}/sluiten", data={"csrf_token": token, "reason": "Ingetrokken door opdrachtgever"})
    with desk.context.session() as session:
        assert session.execute(select(Dossier.status).where(Dossier.number == number)).scalar_one() == "closed"
    assert events(desk, "dossier_closed")[-1].data["reason"] == "Ingetrokken door opdrachtgever"


# --- tasks -------------------------------------------------------------------------


def test_call_list_and_outcome(desk: Desk) -> None:
    from datetime import datetime, timezone

    with desk.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.status == "active").order_by(Dossier.id)).scalars().first()
        call = ensure_task(session, dossier, "call", 3, now=datetime.now(timezone.utc))
        consent = ensure_task(session, dossier, "court_consent", 4, now=datetime.now(timezone.utc))
        session.commit()
        call_id, consent_id, number, debtor = call.id, consent.id, dossier.number, dossier.debtor.name
    client = desk.client()
    token = login(client)
    page = client.get("/taken").get_data(as_text=True)
    assert 'id="call-list"' in page
    assert debtor in page
    assert 'id="consent-list"' in page
    assert number in page

    missing = client.post(f"/taken/{call_id}/afronden", data={"csrf_token": token, "note": "x"})
    assert missing.status_code == 302
    with desk.context.session() as session:
        assert session.get(StaffTaskRow, call_id).status == "open"
    client.post(f"/taken/{call_id}/afronden", data={"csrf_token": token, "outcome": "promise_to_pay", "note": "Betaalt vrijdag"})
    with desk.context.session() as session:
        task = session.get(StaffTaskRow, call_id)
        assert (task.status, task.outcome, task.done_by) == ("done", "promise_to_pay", STAFF_EMAIL)
        assert session.get(StaffTaskRow, consent_id).status == "open"


def test_call_list_shows_phone_from_extraction(desk: Desk) -> None:
    from datetime import datetime, timezone

    from web.views.tasks import debtor_phone

    with desk.context.session() as session:
        item = session.execute(select(ReviewItem).where(ReviewItem.dossier_id.is_not(None))).scalars().first()
        dossier = session.get(Dossier, item.dossier_id)
        extraction = dict(item.extraction)
        debtor = dict(extraction["debtor"])
        debtor["phone"] = {"value": "06 12345678", "confidence": 0.9, "source": "body:text#line=3", "note": ""}
        extraction["debtor"] = debtor
        item.extraction = extraction
        ensure_task(session, dossier, "call", 3, now=datetime.now(timezone.utc))
        session.commit()
        assert debtor_phone(session, dossier) == "06 12345678"
    client = desk.client()
    login(client)
    assert 'href="tel:0612345678"' in client.get("/taken").get_data(as_text=True)


# --- hostile content ---------------------------------------------------------------


class _ActiveMarkup(HTMLParser):
    """Collect markup that could run code or load remote content."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and names.get("src") != "/static/desk.js":
            self.found.append(f"<script {names}>")
        if tag in ("iframe", "object", "embed", "img", "style", "base", "meta") and not (tag == "meta" and set(names) <= {"charset", "name", "content"}):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(("javascript:", "data:", "http:", "https:")):
                self.found.append(f"{tag}[{name}={value}]")


def active_markup(page: str) -> list[str]:
    parser = _ActiveMarkup()
    parser.feed(page)
    return parser.found


def test_hostile_mail_rendered_inert(desk: Desk) -> None:
    from dossiers.models import InboundMessage

    client = desk.client()
    login(client)
    with desk.context.session() as session:
        inbound_id = session.execute(select(InboundMessage.id).where(InboundMessage.source_key.like("%hostile%"))).scalar_one()
        item_id = session.execute(select(ReviewItem.id).where(ReviewItem.inbound_id == inbound_id)).scalar_one()
    for path in ("/controle", f"/controle/{item_id}"):
        page = client.get(path).get_data(as_text=True)
        assert active_markup(page) == [], path
        assert "&lt;script&gt;window.__pwned_subject=1&lt;/script&gt;" in page, path
    page = client.get(f"/controle/{item_id}").get_data(as_text=True)
    for marker in ("__pwned_head", "__pwned_body", "__pwned_img", "__pwned_link", "__pwned_svg", "tracker.example", "evil.example", "display:none"):
        assert marker not in page, marker
    assert "&lt;img src=x onerror=" in page  # the file name, shown as text
    assert "&lt;script&gt;window.__pwned_text=1&lt;/script&gt;" in page  # the text body, shown as text
    assert "<p>Zie bijlage</p>" in page  # the sanitised HTML keeps the text


def test_hostile_attachment_downloaded_not_rendered(desk: Desk) -> None:
    from dossiers.models import InboundMessage

    client = desk.client()
    login(client)
    with desk.context.session() as session:
        inbound_id = session.execute(select(InboundMessage.id).where(InboundMessage.source_key.like("%hostile%"))).scalar_one()
    response = client.get(f"/berichten/{inbound_id}/bijlagen/0")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "<" not in disposition
    assert '"window' not in disposition


def test_every_action_is_audited_with_staff_actor(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    number = active_dossier(desk)
    client.post(f"/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "5,00", "received_on": TODAY.isoformat()})
    client.post(f"/dossiers/{number}/stilzetten", data={"csrf_token": token, "reason": "Even wachten"})
    with desk.context.session() as session:
        kinds = {
            event.kind: event.actor
            for event in session.execute(select(Event).where(Event.kind.in_(("payment_recorded", "staff_hold_added")))).scalars()
        }
    assert kinds == {"payment_recorded": STAFF_EMAIL, "staff_hold_added": STAFF_EMAIL}


def test_approve_refused_for_unknown_sender(desk: Desk) -> None:
    client = desk.client()
    token = login(client)
    item_id = review_item_id(desk, "unknown_sender")
    response = client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token, "debtor_kind": "business"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<li class="flash error"' in page
    assert 'id="approve-form"' not in page
    assert 'id="register-form"' in page
    fill_claim(client, token, item_id)
    response = client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token, "debtor_kind": "business"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "geen bekende opdrachtgever" in page
    with desk.context.session() as session:
        assert session.get(ReviewItem, item_id).status == "open"


def fill_claim(client: FlaskClient, token: str, item_id: int) -> None:
    """Type a complete claim into an item whose mail had no invoice, as staff would."""
    values = {
        "debtor.name": "Drukkerij Voorbeeld B.V.",
        "debtor.street": "Industrieweg 12",
        "debtor.postcode": "3542 AD",
        "debtor.city": "Utrecht",
        "invoices[0].number": "VLD-2026-00999",
        "invoices[0].date": "01-09-2026",
        "invoices[0].due_date": "01-10-2026",
        "invoices[0].amount_total": "1.210,00",
    }
    for path, value in values.items():
        response = client.post(f"/controle/{item_id}/veld", data={"csrf_token": token, "path": path, "value": value})
        assert response.status_code == 302, path


def test_approve_opens_dossier_and_queues_reply(desk: Desk) -> None:
    from dossiers.models import InboundMessage

    client = desk.client()
    token = login(client)
    with desk.context.session() as session:
        item_id = next(
            item.id
            for item in session.execute(select(ReviewItem).where(ReviewItem.status == "open", ReviewItem.dossier_id.is_(None), ReviewItem.kind == "intake")).scalars()
            if "hostile" not in session.get(InboundMessage, item.inbound_id).source_key
        )
        sender = session.get(InboundMessage, session.get(ReviewItem, item_id).inbound_id).from_address
    fill_claim(client, token, item_id)
    response = client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token, "debtor_kind": "business"})
    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[1]
    with desk.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        assert dossier.status == "active"
        assert [claim.invoice_number for claim in dossier.claims] == ["VLD-2026-00999"]
        assert dossier.claims[0].principal == Decimal("1210.00")
        replies = list(session.execute(select(OutboxItem).where(OutboxItem.dossier_id == dossier.id, OutboxItem.purpose == "reply")).scalars())
    assert [reply.recipients for reply in replies] == [[sender]]
    assert number in replies[0].subject
    page = client.get(f"/dossiers/{number}").get_data(as_text=True)
    assert "De opdrachtgever krijgt het dossiernummer per e-mail" in page
    assert replies[0].subject in page


# --- both stores -------------------------------------------------------------------


def test_main_flow_on_each_store(database_url: str, tmp_path: Path) -> None:
    """Search, approve with reply, payment and dashboard on SQLite and PostgreSQL."""
    seed = seed_desk(tmp_path, database_url, TODAY)
    app = create_app(context=seed.context, testing=True)
    client = app.test_client()
    try:
        token = login(client)
        dashboard = client.get("/").get_data(as_text=True)
        assert "hoofdsom in open dossiers" in dashboard

        with seed.context.session() as session:
            dossier = session.execute(select(Dossier).where(Dossier.status == "active").order_by(Dossier.id)).scalars().first()
            number, debtor = dossier.number, dossier.debtor.name
        found = client.get("/dossiers", query_string={"q": debtor.upper()}).get_data(as_text=True)
        assert f">{number}</a>" in found

        client.post(f"/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "50,00", "received_on": TODAY.isoformat()})
        with seed.context.session() as session:
            assert session.execute(select(func.sum(PaymentRow.amount))).scalar_one() == Decimal("50.00")
        assert "€\u00a050,00" in client.get("/").get_data(as_text=True)

        with seed.context.session() as session:
            item_id = session.execute(
                select(ReviewItem.id).where(ReviewItem.status == "open", ReviewItem.kind == "intake", ReviewItem.dossier_id.is_not(None))
            ).scalars().first()
        response = client.post(f"/controle/{item_id}/goedkeuren", data={"csrf_token": token, "debtor_kind": "consumer"})
        assert response.status_code == 302
        assert "/dossiers/" in response.headers["Location"]
        with seed.context.session() as session:
            assert session.get(ReviewItem, item_id).status == "approved"
    finally:
        seed.context.close()
