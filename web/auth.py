"""Login, logout and the one-time password link; who may see which part of the desk.

The signed session cookie contains the user id, the login moment, the last request
moment and the user's session epoch. The epoch is raised when the password changes, so
older sessions end. A session ends after `SESSION_IDLE` without requests or `SESSION_MAX_AGE` after
login. Each blueprint belongs to one role; `staff` blueprints are closed to client
users, and a later client portal registers its blueprints under the role `client`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from dossiers.totp import is_enabled, verify_login_code
from dossiers.users import LoginFailed, LoginThrottled, User, UserError, authenticate, set_password_with_token, token_user
from web.portal.password_reset import request_reset
from web.security import SESSION_MAX_AGE, db

logger = logging.getLogger(__name__)

blueprint = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_code", "auth.set_password", "auth.forgot_password", "static"})
# The role each blueprint is for; endpoints of blueprints not listed need only a login.
BLUEPRINT_ROLES = {"dashboard": "staff", "review": "staff", "dossiers": "staff", "tasks": "staff", "files": "staff", "account": "staff", "portal": "client"}
# How long the password step stays valid while the user looks up the TOTP code.
PENDING_LOGIN_SECONDS = 5 * 60


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    role: str
    client_id: int | None  # the only client whose data a client user may see

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


def current_user() -> CurrentUser | None:
    user: CurrentUser | None = g.get("user")
    return user


def actor() -> str:
    """Return the audit name of the person acting: the user's e-mail address."""
    user = current_user()
    if user is None:
        raise RuntimeError("no user logged in")
    return user.email[:100]


def _load_user() -> Any:
    g.user = None
    user_id = session.get("uid")
    if user_id is not None:
        g.user = _valid_session_user(int(user_id))
        if g.user is None:
            session.clear()

    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if g.user is None:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    role = BLUEPRINT_ROLES.get(request.blueprint or "")
    if role is not None and g.user.role != role:
        logger.warning("user %s with role %s rejected on %s", g.user.id, g.user.role, endpoint)
        abort(403)
    return None


def _valid_session_user(user_id: int) -> CurrentUser | None:
    now = time.time()
    idle = float(current_app.config["SESSION_IDLE_SECONDS"])
    started = float(session.get("started", 0))
    seen = float(session.get("seen", 0))
    if now - started > SESSION_MAX_AGE.total_seconds() or now - seen > idle:
        return None
    user = db().get(User, user_id)
    if user is None or not user.active or user.session_epoch != session.get("epoch"):
        return None
    session["seen"] = now
    return CurrentUser(user.id, user.email, user.role, user.client_id)


def install(app: Flask) -> None:
    app.before_request(_load_user)
    app.context_processor(lambda: {"user": current_user()})


def _client_ip() -> str:
    # NOTE: behind a reverse proxy every request has the proxy's address, so the
    # per-IP limit then counts all users together; the per-account limit still holds.
    return request.remote_addr or "unknown"


def _home(role: str) -> str:
    return url_for("portal.index") if role == "client" else url_for("dashboard.index")


def _safe_next(target: str | None, role: str = "staff") -> str:
    if not target:
        return _home(role)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return _home(role)
    return target


@blueprint.route("/inloggen", methods=["GET", "POST"])
def login() -> Any:
    context = current_app.extensions["incasso"]
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:320]
        password = request.form.get("password", "")
        database = db()
        try:
            user = authenticate(database, email, password, ip=_client_ip(), now=context.clock.now())
        except (LoginFailed, LoginThrottled) as failure:
            database.commit()  # keep the attempt, it counts towards the throttle
            error = str(failure)
            status = 429 if isinstance(failure, LoginThrottled) else 401
            return render_template("web/login.html", error=error, email=email), status
        database.commit()
        next_target = _safe_next(request.args.get("next"), user.role)
        session.clear()
        if is_enabled(database, user.id):
            # Half logged in: only the second step may follow, and only for a short while.
            session["pending_uid"] = user.id
            session["pending_epoch"] = user.session_epoch
            session["pending_at"] = time.time()
            session["pending_next"] = next_target
            logger.info("user %s passed the password step, TOTP code required", user.id)
            return redirect(url_for("auth.login_code"))
        _start_session(user)
        return redirect(next_target)
    return render_template("web/login.html", error=error, email=email)


def _start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    session["started"] = session["seen"] = time.time()
    logger.info("user %s logged in", user.id)


def _pending_user() -> User | None:
    """Return the user who passed the password step and may now send a TOTP code, else None."""
    user_id = session.get("pending_uid")
    started = float(session.get("pending_at", 0))
    if user_id is None or time.time() - started > PENDING_LOGIN_SECONDS:
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != session.get("pending_epoch"):
        return None
    return user


@blueprint.route("/inloggen/code", methods=["GET", "POST"])
def login_code() -> Any:
    """Second login step for a user with TOTP enabled."""
    user = _pending_user()
    if user is None:
        session.clear()
        flash("Uw inlogpoging is verlopen. Log opnieuw in met uw e-mailadres en wachtwoord.", "error")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("web/login_code.html", error=None)

    context = current_app.extensions["incasso"]
    database = db()
    try:
        verify_login_code(
            database, user, request.form.get("code", "")[:20], ip=_client_ip(), now=context.clock.now(), unix_time=time.time()
        )
    except (LoginFailed, LoginThrottled) as failure:
        database.commit()  # keep the attempt, it counts towards the throttle
        status = 429 if isinstance(failure, LoginThrottled) else 401
        return render_template("web/login_code.html", error=str(failure)), status
    database.commit()
    next_target = str(session.get("pending_next") or _home(user.role))
    _start_session(user)
    return redirect(_safe_next(next_target, user.role))


@blueprint.route("/uitloggen", methods=["POST"])
def logout() -> Any:
    session.clear()
    flash("U bent uitgelogd.")
    return redirect(url_for("auth.login"))


@blueprint.route("/wachtwoord/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    context = current_app.extensions["incasso"]
    database = db()
    now = context.clock.now()
    user = token_user(database, token, now)
    if user is None:
        return render_template("web/set_password.html", invalid=True, email=None, error=None), 404
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_again", ""):
            return render_template("web/set_password.html", invalid=False, email=user.email, error="De twee wachtwoorden zijn niet gelijk."), 400
        try:
            set_password_with_token(database, token, password, now=now)
        except UserError as failure:
            database.rollback()
            return render_template("web/set_password.html", invalid=False, email=user.email, error=str(failure)), 400
        database.commit()
        session.clear()
        flash("Uw wachtwoord is ingesteld. Log in met uw e-mailadres en het nieuwe wachtwoord.")
        return redirect(url_for("auth.login"))
    return render_template("web/set_password.html", invalid=False, email=user.email, error=None)


@blueprint.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password() -> Any:
    """Mail a one-time reset link; the answer is the same whether the address has an account or not."""
    if request.method == "POST":
        context = current_app.extensions["incasso"]
        database = db()
        request_reset(context, database, request.form.get("email", "")[:320], ip=_client_ip(), now=context.clock.now())
        database.commit()
        flash("Als er een account bij dit e-mailadres hoort, ontvangt u binnen enkele minuten een link om een nieuw wachtwoord in te stellen.")
        return redirect(url_for("auth.login"))
    return render_template("web/portal/forgot_password.html")
