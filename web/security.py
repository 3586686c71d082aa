"""Request safety for the desk: CSRF tokens on every POST, security headers, database sessions.

Every POST must carry the session's CSRF token in the form field `csrf_token` or the
`X-CSRF-Token` header. A request with a missing or wrong token is rejected with 400
before any view runs. Pages are sent with a Content-Security-Policy that allows scripts, styles and
images only from this site, so markup that slips into a page cannot run code.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

# A session ends after this long without a request, and in any case after SESSION_MAX_AGE.
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX_AGE = timedelta(hours=10)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
    )
)


class CsrfError(BadRequest):
    dutch = "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw en probeer het nog eens."


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get("csrf")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise CsrfError()


def db() -> Session:
    """Return the request's database session (opened on first use, closed after the request)."""
    if "db" not in g:
        context = current_app.extensions["incasso"]
        g.db = context.sessions()
    database: Session = g.db
    return database


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_headers)
