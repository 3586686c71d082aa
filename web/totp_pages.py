"""Security pages where a user switches the TOTP second factor on or off.

Staff use /account/beveiliging and client users /portaal/beveiliging. Both pages run
the same handlers below and differ only in template and URL prefix. The second login
step itself is in web.auth.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from dossiers.totp import TotpError, disable, enable, provisioning_uri, qr_svg, start_enrolment, totp_row
from dossiers.users import User
from web.auth import current_user
from web.formatting import EVENT_LABELS
from web.security import db

logger = logging.getLogger(__name__)

# Staff page; the client page is registered on the portal blueprint.
blueprint = Blueprint("account", __name__, url_prefix="/account")

# Dutch labels of the TOTP events on the desk's timelines; a label set in web.formatting wins.
for _kind, _label in {
    "totp_enrolment_started": "Tweestapsverificatie: nieuwe sleutel gemaakt",
    "totp_enabled": "Tweestapsverificatie aangezet",
    "totp_enable_failed": "Tweestapsverificatie: aanzetten mislukt (onjuiste code)",
    "totp_disabled": "Tweestapsverificatie uitgezet",
    "totp_disable_failed": "Tweestapsverificatie: uitzetten mislukt",
    "login_totp_failed": "Inloggen: onjuiste code",
    "login_totp_succeeded": "Ingelogd met code",
}.items():
    EVENT_LABELS.setdefault(_kind, _label)


def _user() -> User:
    logged_in = current_user()
    if logged_in is None:
        abort(401)
    user = db().get(User, logged_in.id)
    if user is None:
        abort(401)
    return user


def show_page(template: str, action_endpoint: str) -> Any:
    """Render the security page with the TOTP state and, during enrolment, the QR code."""
    user = _user()
    row = totp_row(db(), user.id)
    uri = provisioning_uri(row, user.email) if row is not None and row.enabled_at is None else None
    return render_template(
        template,
        totp_action_endpoint=action_endpoint,
        totp_enabled=row is not None and row.enabled_at is not None,
        totp_enabled_at=row.enabled_at if row is not None else None,
        otpauth_uri=uri,
        secret=row.secret if uri is not None and row is not None else None,
        qr_svg=qr_svg(uri) if uri is not None else None,
    )


def handle_post(action: str, page_endpoint: str) -> Any:
    """Run one TOTP form action (instellen = start enrolment, aanzetten = enable, uitzetten = disable)."""
    user = _user()
    database = db()
    now = current_app.extensions["incasso"].clock.now()
    code = request.form.get("code", "")[:20]
    try:
        if action == "instellen":
            start_enrolment(database, user, now=now)
            message = "Scan de QR-code met uw authenticator-app en bevestig met de code die de app toont."
        elif action == "aanzetten":
            enable(database, user, code, now=now, unix_time=time.time())
            message = "Tweestapsverificatie staat aan. Bij het inloggen vragen we voortaan ook een code uit de app."
        elif action == "uitzetten":
            disable(database, user, code, request.form.get("password", ""), now=now, unix_time=time.time())
            message = "Tweestapsverificatie staat uit. U logt weer in met alleen uw wachtwoord."
        else:
            abort(404)
    except TotpError as failure:
        database.commit()  # keep the audited failure event
        flash(str(failure), "error")
        return redirect(url_for(page_endpoint), code=303)
    database.commit()
    flash(message)
    return redirect(url_for(page_endpoint), code=303)


@blueprint.route("/beveiliging")
def security() -> Any:
    return show_page("web/account_security.html", "account.security_action")


@blueprint.route("/beveiliging/<any(instellen, aanzetten, uitzetten):action>", methods=["POST"])
def security_action(action: str) -> Any:
    return handle_post(action, "account.security")
