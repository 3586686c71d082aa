"""`incasso users add|link|list|disable`: accounts of the web desk.

`add` creates an account and mails a one-time link to set the password through the
outbox: over SMTP when one is set, otherwise as an .eml file in the outbox folder
(var/outbox/mail/ on the embedded default), written by the running daemon.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from daemon.commands.output import print_json, print_table


def add_parsers(commands: Any) -> None:
    users = commands.add_parser("users", help="accounts voor het medewerkersscherm")
    user_commands = users.add_subparsers(dest="user_command", required=True, metavar="OPDRACHT")
    add = user_commands.add_parser("add", help="een account maken en een link mailen om het wachtwoord in te stellen")
    add.add_argument("--email", required=True, help="e-mailadres van de gebruiker (ook de inlognaam)")
    add.add_argument("--role", choices=("staff", "client"), default="staff", help="staff: medewerker; client: gebruiker bij een opdrachtgever")
    add.add_argument("--client", help="KvK-nummer of e-mailadres van de opdrachtgever (alleen bij --role client)")
    add.add_argument("--by", default="beheerder", help="wie het account maakt (voor het logboek)")
    link = user_commands.add_parser("link", help="een nieuwe link mailen om het wachtwoord (opnieuw) in te stellen")
    link.add_argument("--email", required=True, help="e-mailadres van de gebruiker")
    link.add_argument("--by", default="beheerder", help="wie de link aanvraagt (voor het logboek)")
    disable = user_commands.add_parser("disable", help="een account blokkeren; lopende sessies eindigen")
    disable.add_argument("--email", required=True, help="e-mailadres van de gebruiker")
    disable.add_argument("--by", default="beheerder", help="wie het account blokkeert (voor het logboek)")
    listing = user_commands.add_parser("list", help="alle accounts")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    users.set_defaults(handler=_users)


def _users(context: Any, args: argparse.Namespace) -> int:
    from dossiers.users import UserError

    handlers = {"add": _add, "link": _link, "disable": _disable, "list": _list}
    try:
        return handlers[args.user_command](context, args)
    except UserError as error:
        print(f"incasso: {error}", file=sys.stderr)
        return 1


def _client_id(session: Any, text: str | None) -> int | None:
    from sqlalchemy import or_, select

    from dossiers.models import Client
    from dossiers.users import UserError

    if not text:
        return None
    matches = session.execute(select(Client.id).where(or_(Client.kvk == text.strip(), Client.email == text.strip().lower()))).scalars().all()
    if len(matches) != 1:
        raise UserError(f"Opdrachtgever '{text}' niet gevonden (of niet eenduidig); geef het KvK-nummer of het e-mailadres op.")
    return int(matches[0])


def _add(context: Any, args: argparse.Namespace) -> int:
    from dossiers.users import create_user, issue_token
    from daemon.invitations import queue_invitation

    now = context.clock.now()
    with context.session() as session:
        user = create_user(session, args.email, args.role, now=now, actor=args.by, client_id=_client_id(session, args.client))
        invitation = issue_token(session, user, now=now, purpose="invite")
        item = queue_invitation(context, session, invitation, now=now, actor=args.by)
        session.commit()
        _report(context, user.email, item.id)
    return 0


def _link(context: Any, args: argparse.Namespace) -> int:
    from dossiers.users import UserError, find_user, issue_token
    from daemon.invitations import queue_invitation

    now = context.clock.now()
    with context.session() as session:
        user = find_user(session, args.email)
        if user is None or not user.active:
            raise UserError(f"Geen actief account voor {args.email}; maak er een met `incasso users add`.")
        invitation = issue_token(session, user, now=now, purpose="reset" if user.password_hash else "invite")
        item = queue_invitation(context, session, invitation, now=now, actor=args.by)
        session.commit()
        _report(context, user.email, item.id)
    return 0


def _report(context: Any, email: str, outbox_id: int) -> None:
    print(f"Account {email}: een link om het wachtwoord in te stellen staat in de outbox (nr. {outbox_id}).")
    if context.settings.smtp is None:
        folder = context.settings.outbox_dir / "mail"
        print(f"Zonder SMTP schrijft de daemon (incasso run) de mail als {folder}/{outbox_id:06d}-….eml; open de link daaruit.")
    else:
        print("De daemon (incasso run) verstuurt de mail via SMTP.")


def _disable(context: Any, args: argparse.Namespace) -> int:
    from dossiers.users import UserError, deactivate_user, find_user

    with context.session() as session:
        user = find_user(session, args.email)
        if user is None:
            raise UserError(f"Geen account voor {args.email}.")
        deactivate_user(session, user, now=context.clock.now(), actor=args.by)
        session.commit()
    print(f"Account {args.email} geblokkeerd.")
    return 0


def _list(context: Any, args: argparse.Namespace) -> int:
    from dossiers.users import list_users

    with context.session() as session:
        rows = list_users(session)
    if args.json:
        print_json(rows)
    elif not rows:
        print("Nog geen accounts; maak er een met `incasso users add --role staff --email ADRES`.")
    else:
        print_table(rows, ("id", "email", "role", "active", "password_set", "last_login_at"), ("Nr", "E-mail", "Rol", "Actief", "Wachtwoord", "Laatst ingelogd"))
    return 0
