"""The optional TOTP second factor through Flask's test client, for staff and client users.

Codes are computed with pyotp from the secret stored in the database. A code that was
accepted once marks its 30-second step as used, so each test takes the next code from
a later step (`code_at(secret, 1)`) instead of repeating the current one.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.settings import load_settings
from dossiers.models import Dossier, Event
from dossiers.totp import UserTotp
from dossiers.users import LoginAttempt, User, create_user, issue_token, set_password_with_token
from web import auth
from web.app import create_app
from web.testing import STAFF_EMAIL, STAFF_PASSWORD, SeededDesk, desk_environment, seed_desk

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLIENT_EMAIL = "debiteuren@totp-klant.example"
CLIENT_PASSWORD = "klant-totp-wachtwoord-2026"
PAGES = {"staff": "/account/beveiliging", "client": "/portaal/beveiliging"}
ACCOUNTS = {"staff": (STAFF_EMAIL, STAFF_PASSWORD), "client": (CLIENT_EMAIL, CLIENT_PASSWORD)}
HOMES = {"staff": "/", "client": "/portaal/"}


@dataclass
class Desk:
    app: Flask
    context: DaemonContext

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededDesk]:
    base = tmp_path_factory.mktemp("totp")
    seed = seed_desk(base, f"sqlite:///{base / 'incasso.db'}", TODAY)
    now = datetime.now(timezone.utc)
    with seed.context.session() as session:
        client_id = session.execute(select(Dossier.client_id).order_by(Dossier.id)).scalars().first()
        user = create_user(session, CLIENT_EMAIL, "client", now=now, actor="test", client_id=client_id)
        set_password_with_token(session, issue_token(session, user, now=now).token, CLIENT_PASSWORD, now=now)
        session.commit()
    seed.context.close()
    return base, seed


@pytest.fixture
def desk(seeded: tuple[Path, SeededDesk], tmp_path: Path) -> Iterator[Desk]:
    base, _ = seeded
    for path in base.glob("incasso.db*"):
        shutil.copy(path, tmp_path / path.name)
    environment = desk_environment(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    yield Desk(create_app(context=context, testing=True), context)
    context.close()


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """Return the code for the step `steps_ahead` steps after the current one (the server accepts ±1)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def password_step(client: FlaskClient, role: str, password: str | None = None):  # type: ignore[no-untyped-def]
    email, right_password = ACCOUNTS[role]
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    return client.post("/inloggen", data={"email": email, "password": password or right_password, "csrf_token": token})


def login(client: FlaskClient, role: str) -> str:
    """Log in without a second factor and return the CSRF token of the security page."""
    response = password_step(client, role)
    assert response.status_code == 302
    assert response.headers["Location"] == HOMES[role]
    return csrf_of(client.get(PAGES[role]).get_data(as_text=True))


def stored_totp(desk: Desk, role: str) -> UserTotp | None:
    with desk.context.session() as session:
        user_id = session.execute(select(User.id).where(User.email == ACCOUNTS[role][0])).scalar_one()
        return session.execute(select(UserTotp).where(UserTotp.user_id == user_id)).scalar_one_or_none()


def events(desk: Desk, kind: str) -> list[Event]:
    with desk.context.session() as session:
        return list(session.execute(select(Event).where(Event.kind == kind).order_by(Event.id)).scalars())


def failed_attempts(desk: Desk, email: str) -> int:
    with desk.context.session() as session:
        query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
        return int(session.execute(query).scalar_one())


def start_enrolment(desk: Desk, client: FlaskClient, role: str, token: str) -> str:
    response = client.post(f"{PAGES[role]}/instellen", data={"csrf_token": token})
    assert response.status_code == 303
    row = stored_totp(desk, role)
    assert row is not None
    assert row.enabled_at is None
    return row.secret


def enable_totp(desk: Desk, role: str) -> str:
    """Switch TOTP on for `role` through the pages, log out, and return the secret."""
    client = desk.client()
    token = login(client, role)
    secret = start_enrolment(desk, client, role, token)
    response = client.post(f"{PAGES[role]}/aanzetten", data={"csrf_token": token, "code": code_at(secret)})
    assert response.status_code == 303
    row = stored_totp(desk, role)
    assert row is not None and row.enabled_at is not None
    return secret


# --- enrolment ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "client"])
def test_page_shows_uri_and_qr(desk: Desk, role: str) -> None:
    client = desk.client()
    token = login(client, role)
    page = client.get(PAGES[role]).get_data(as_text=True)
    assert "Tweestapsverificatie instellen" in page
    assert "otpauth://" not in page

    secret = start_enrolment(desk, client, role, token)
    page = client.get(PAGES[role]).get_data(as_text=True)
    assert "otpauth://totp/Incassobureau:" in page
    assert f"secret={secret}" in page
    assert "<svg" in page
    assert "<script" not in page.split("</head>")[1]
    assert events(desk, "totp_enrolment_started")[-1].actor == ACCOUNTS[role][0]


def test_staff_header_links_security_page(desk: Desk) -> None:
    client = desk.client()
    login(client, "staff")
    assert 'href="/account/beveiliging"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "client"])
def test_enable_with_wrong_code_fails(desk: Desk, role: str) -> None:
    client = desk.client()
    token = login(client, role)
    secret = start_enrolment(desk, client, role, token)
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"
    response = client.post(f"{PAGES[role]}/aanzetten", data={"csrf_token": token, "code": wrong}, follow_redirects=True)
    assert "De code is onjuist of verlopen" in response.get_data(as_text=True)
    row = stored_totp(desk, role)
    assert row is not None
    assert row.enabled_at is None
    assert len(events(desk, "totp_enable_failed")) == 1
    assert events(desk, "totp_enabled") == []


@pytest.mark.parametrize("role", ["staff", "client"])
def test_enable_with_right_code(desk: Desk, role: str) -> None:
    enable_totp(desk, role)
    enabled = events(desk, "totp_enabled")
    assert len(enabled) == 1
    assert enabled[0].actor == ACCOUNTS[role][0]

    client = desk.client()
    password_step(client, role)
    secret = stored_totp(desk, role).secret  # type: ignore[union-attr]
    client.post("/inloggen/code", data={"csrf_token": csrf_of(client.get("/inloggen/code").get_data(as_text=True)), "code": code_at(secret, 1)})
    page = client.get(PAGES[role]).get_data(as_text=True)
    assert "staat <strong>aan</strong>" in page
    assert "otpauth://" not in page


# --- login -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "client"])
def test_login_requires_second_step(desk: Desk, role: str) -> None:
    secret = enable_totp(desk, role)
    client = desk.client()
    response = password_step(client, role)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inloggen/code"

    # The password alone does not open the desk or the portal.
    blocked = client.get(HOMES[role])
    assert blocked.status_code == 302
    assert blocked.headers["Location"].startswith("/inloggen")

    page = client.get("/inloggen/code").get_data(as_text=True)
    assert "Code invoeren" in page
    response = client.post("/inloggen/code", data={"csrf_token": csrf_of(page), "code": code_at(secret, 1)})
    assert response.status_code == 302
    assert response.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200
    assert len(events(desk, "login_totp_succeeded")) == 1


def test_login_without_totp_has_one_step(desk: Desk) -> None:
    client = desk.client()
    response = password_step(client, "client")
    assert response.headers["Location"] == "/portaal/"


def test_wrong_password_never_reaches_code_step(desk: Desk) -> None:
    enable_totp(desk, "client")
    client = desk.client()
    response = password_step(client, "client", password="niet-het-goede-wachtwoord")
    assert response.status_code == 401
    assert client.get("/inloggen/code").headers["Location"] == "/inloggen"


def test_wrong_code_refused_and_throttled(desk: Desk) -> None:
    secret = enable_totp(desk, "client")
    client = desk.client()
    password_step(client, "client")
    token = csrf_of(client.get("/inloggen/code").get_data(as_text=True))
    wrong = f"{(int(code_at(secret, 1)) + 500_000) % 1_000_000:06d}"

    for attempt in range(5):
        response = client.post("/inloggen/code", data={"csrf_token": token, "code": wrong})
        assert response.status_code == 401, attempt
        assert "De code is onjuist of al gebruikt" in response.get_data(as_text=True)
    assert failed_attempts(desk, CLIENT_EMAIL) == 5
    assert len(events(desk, "login_totp_failed")) == 5

    # Now even the right code is rejected until the throttle window has passed.
    response = client.post("/inloggen/code", data={"csrf_token": token, "code": code_at(secret, 1)})
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.get_data(as_text=True)
    assert client.get("/portaal/").status_code == 302

    # The throttle also holds for the password step of the same account.
    fresh = desk.client()
    assert password_step(fresh, "client").status_code == 429


def test_replayed_code_refused(desk: Desk) -> None:
    secret = enable_totp(desk, "client")
    code = code_at(secret, 1)

    first = desk.client()
    password_step(first, "client")
    token = csrf_of(first.get("/inloggen/code").get_data(as_text=True))
    assert first.post("/inloggen/code", data={"csrf_token": token, "code": code}).status_code == 302

    second = desk.client()
    password_step(second, "client")
    token = csrf_of(second.get("/inloggen/code").get_data(as_text=True))
    response = second.post("/inloggen/code", data={"csrf_token": token, "code": code})
    assert response.status_code == 401
    assert second.get("/portaal/").status_code == 302


def test_code_used_for_enabling_is_not_reusable(desk: Desk) -> None:
    client = desk.client()
    token = login(client, "client")
    secret = start_enrolment(desk, client, "client", token)
    code = code_at(secret, 1)
    client.post("/portaal/beveiliging/aanzetten", data={"csrf_token": token, "code": code})

    fresh = desk.client()
    password_step(fresh, "client")
    token = csrf_of(fresh.get("/inloggen/code").get_data(as_text=True))
    assert fresh.post("/inloggen/code", data={"csrf_token": token, "code": code}).status_code == 401


def test_pending_login_expires(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = enable_totp(desk, "client")
    client = desk.client()
    password_step(client, "client")
    token = csrf_of(client.get("/inloggen/code").get_data(as_text=True))
    monkeypatch.setattr(auth, "PENDING_LOGIN_SECONDS", -1)
    response = client.post("/inloggen/code", data={"csrf_token": token, "code": code_at(secret, 1)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/inloggen"
    assert client.get("/portaal/").status_code == 302
    assert events(desk, "login_totp_succeeded") == []


# --- switching off -----------------------------------------------------------------


def logged_in_with_code(desk: Desk, role: str, secret: str) -> tuple[FlaskClient, str]:
    client = desk.client()
    password_step(client, role)
    token = csrf_of(client.get("/inloggen/code").get_data(as_text=True))
    assert client.post("/inloggen/code", data={"csrf_token": token, "code": code_at(secret, 1)}).status_code == 302
    return client, csrf_of(client.get(PAGES[role]).get_data(as_text=True))


@pytest.mark.parametrize("role", ["staff", "client"])
def test_disable_requires_password_and_code(desk: Desk, role: str) -> None:
    secret = enable_totp(desk, role)
    client, token = logged_in_with_code(desk, role, secret)
    url = f"{PAGES[role]}/uitzetten"
    password = ACCOUNTS[role][1]

    without_code = client.post(url, data={"csrf_token": token, "password": password, "code": ""}, follow_redirects=True)
    assert "Het wachtwoord of de code is onjuist" in without_code.get_data(as_text=True)
    wrong_password = client.post(url, data={"csrf_token": token, "password": "fout-wachtwoord-123", "code": code_at(secret)})
    assert wrong_password.status_code == 303
    assert stored_totp(desk, role) is not None
    assert len(events(desk, "totp_disable_failed")) == 2

    response = client.post(url, data={"csrf_token": token, "password": password, "code": code_at(secret)}, follow_redirects=True)
    assert "Tweestapsverificatie staat uit" in response.get_data(as_text=True)
    assert stored_totp(desk, role) is None
    disabled = events(desk, "totp_disabled")
    assert len(disabled) == 1
    assert disabled[0].actor == ACCOUNTS[role][0]
    assert password_step(desk.client(), role).headers["Location"] == HOMES[role]


# --- roles and CSRF ----------------------------------------------------------------


def test_client_cannot_open_staff_page(desk: Desk) -> None:
    client = desk.client()
    login(client, "client")
    assert client.get("/account/beveiliging").status_code == 403


@pytest.mark.parametrize("role", ["staff", "client"])
@pytest.mark.parametrize("action", ["instellen", "aanzetten", "uitzetten"])
def test_security_forms_need_csrf(desk: Desk, role: str, action: str) -> None:
    client = desk.client()
    login(client, role)
    response = client.post(f"{PAGES[role]}/{action}", data={"code": "123456", "password": ACCOUNTS[role][1]})
    assert response.status_code == 400
    assert stored_totp(desk, role) is None
    assert events(desk, "totp_enrolment_started") == []


def test_code_step_needs_csrf(desk: Desk) -> None:
    secret = enable_totp(desk, "client")
    client = desk.client()
    password_step(client, "client")
    client.get("/inloggen/code")
    response = client.post("/inloggen/code", data={"code": code_at(secret, 1)})
    assert response.status_code == 400
    assert client.get("/portaal/").status_code == 302
