"""Staff commands for the collection track, and the staff calculator.

`payments`, `hold`, `dispute`, `arrangement`, `consent`, `debtor`, `terms` and `close`
change a dossier and then apply the phase engine to it at once, the same way the daemon's
daily sweep does. `tasks` lists and completes the staff tasks. `calc bik` and `calc
interest` run the same code as the letters. Output for staff is Dutch; `--json` output is
meant for scripts.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from daemon.commands.output import print_json, print_table

YES_NO = {"ja": True, "yes": True, "nee": False, "no": False}
ACTOR = "medewerker"


def add_parsers(commands: Any) -> None:
    _add_payments(commands)
    _add_holds(commands)
    _add_arrangements(commands)

    consent = commands.add_parser("consent", help="toestemming van de opdrachtgever voor een procedure vastleggen")
    consent.add_argument("number", help="dossiernummer")
    consent.add_argument("--date", type=_iso_date, help="datum van de toestemming (standaard vandaag)")
    consent.add_argument("--note", default="", help="toelichting, bijvoorbeeld hoe de toestemming is gegeven")
    consent.set_defaults(handler=_consent)

    tasks = commands.add_parser("tasks", help="taken voor medewerkers (bellen, toestemming, procedure)")
    task_commands = tasks.add_subparsers(dest="task_command", required=True, metavar="OPDRACHT")
    listing = task_commands.add_parser("list", help="openstaande taken")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    done = task_commands.add_parser("done", help="een taak afronden")
    done.add_argument("task_id", type=int, help="nummer van de taak")
    done.add_argument("--outcome", choices=("reached", "promise_to_pay", "dispute", "no_answer", "wrong_number"), help="uitkomst van een beltaak")
    done.add_argument("--note", default="", help="toelichting")
    tasks.set_defaults(handler=_tasks)

    debtor = commands.add_parser("debtor", help="soort debiteur instellen (consument, natuurlijk persoon in NL, e-mail)")
    debtor.add_argument("number", help="dossiernummer van een dossier van deze debiteur")
    debtor.add_argument("--consumer", choices=sorted(YES_NO), help="consument (niet handelend in beroep of bedrijf)")
    debtor.add_argument("--natural-person-nl", choices=sorted(YES_NO), help="natuurlijk persoon met woonplaats in Nederland")
    debtor.add_argument("--email-consent", choices=sorted(YES_NO), help="akkoord met brieven per e-mail")
    debtor.set_defaults(handler=_debtor)

    terms = commands.add_parser("terms", help="afspraken per dossier (contractuele rente, incassobeding, termijnbedragen)")
    terms.add_argument("number", help="dossiernummer")
    terms.add_argument("--contract-rate", help="contractuele rente in procent per jaar; leeg om te wissen")
    terms.add_argument("--cost-clause", help="incassobeding in procent van de hoofdsom (alleen zakelijk); leeg om te wissen")
    terms.add_argument("--instalments", choices=sorted(YES_NO), help="de facturen zijn termijnbedragen van één overeenkomst")
    terms.add_argument("--default-on", type=_iso_date, help="datum waarop een consument in verzuim is gekomen")
    terms.add_argument("--claimant-category", choices=("niet_natuurlijk_persoon", "natuurlijk_persoon", "onvermogend"), help="categorie van de opdrachtgever voor het griffierecht")
    terms.set_defaults(handler=_terms)

    close = commands.add_parser("close", help="een dossier sluiten")
    close.add_argument("number", help="dossiernummer")
    close.add_argument("--reason", required=True, help="reden van sluiten")
    close.set_defaults(handler=_close)

    _add_calc(commands)


def _add_payments(commands: Any) -> None:
    payments = commands.add_parser("payments", help="betalingen van debiteuren")
    payment_commands = payments.add_subparsers(dest="payment_command", required=True, metavar="OPDRACHT")
    add = payment_commands.add_parser("add", help="een ontvangen betaling boeken")
    add.add_argument("number", help="dossiernummer")
    add.add_argument("amount", help="bedrag in euro, bijvoorbeeld 125,50")
    add.add_argument("--date", required=True, type=_iso_date, help="datum waarop het geld binnenkwam (JJJJ-MM-DD)")
    add.add_argument("--reference", default="", help="omschrijving of kenmerk van de bank")
    listing = payment_commands.add_parser("list", help="betalingen van een dossier en hoe ze zijn verrekend")
    listing.add_argument("number", help="dossiernummer")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    payments.set_defaults(handler=_payments)


def _add_holds(commands: Any) -> None:
    hold = commands.add_parser("hold", help="het incassotraject stilzetten of hervatten")
    hold_commands = hold.add_subparsers(dest="hold_command", required=True, metavar="OPDRACHT")
    for name, text in (("add", "stilzetten"), ("lift", "hervatten (alle stops en betwistingen)")):
        sub = hold_commands.add_parser(name, help=text)
        sub.add_argument("number", help="dossiernummer")
        sub.add_argument("--reason", required=True, help="reden")
    hold.set_defaults(handler=_hold)

    dispute = commands.add_parser("dispute", help="een betwisting van de debiteur vastleggen (zet het traject stil)")
    dispute.add_argument("number", help="dossiernummer")
    dispute.add_argument("--reason", default="Vordering betwist door de debiteur", help="waarom de debiteur betwist")
    dispute.set_defaults(handler=_dispute)


def _add_arrangements(commands: Any) -> None:
    arrangement = commands.add_parser("arrangement", help="betalingsregelingen")
    arrangement_commands = arrangement.add_subparsers(dest="arrangement_command", required=True, metavar="OPDRACHT")
    add = arrangement_commands.add_parser("add", help="een betalingsregeling vastleggen")
    add.add_argument("number", help="dossiernummer")
    add.add_argument("--instalment", action="append", default=[], metavar="DATUM=BEDRAG", help="één termijn, bijvoorbeeld 2027-01-15=250,00 (herhaalbaar)")
    add.add_argument("--count", type=int, help="aantal gelijke maandtermijnen")
    add.add_argument("--amount", help="bedrag per maandtermijn")
    add.add_argument("--first", type=_iso_date, help="vervaldatum van de eerste maandtermijn")
    add.add_argument("--grace-days", type=int, help="dagen na de vervaldatum voordat een termijn als gemist telt (standaard uit config/legal/track.toml)")
    end = arrangement_commands.add_parser("end", help="de lopende betalingsregeling beëindigen (het traject loopt weer)")
    end.add_argument("number", help="dossiernummer")
    arrangement.set_defaults(handler=_arrangement)


def _add_calc(commands: Any) -> None:
    calc = commands.add_parser("calc", help="rekenhulp: incassokosten en rente, met dezelfde code als de brieven")
    calc_commands = calc.add_subparsers(dest="calc_command", required=True, metavar="OPDRACHT")
    bik = calc_commands.add_parser("bik", help="buitengerechtelijke incassokosten over een hoofdsom")
    bik.add_argument("amount", help="hoofdsom in euro")
    bik.add_argument("--vat", action="store_true", help="btw erbij (alleen als de opdrachtgever de btw niet kan verrekenen)")
    bik.add_argument("--json", action="store_true", help="uitvoer als JSON")
    interest = calc_commands.add_parser("interest", help="wettelijke rente over een periode, per tarief")
    interest.add_argument("--kind", required=True, choices=("commercial", "consumer"), help="commercial: handelsrente (6:119a BW); consumer: wettelijke rente (6:119 BW)")
    interest.add_argument("--principal", required=True, help="hoofdsom in euro")
    interest.add_argument("--from", dest="start", required=True, type=_iso_date, help="eerste rentedag (JJJJ-MM-DD)")
    interest.add_argument("--to", dest="end", required=True, type=_iso_date, help="laatste rentedag, inclusief (JJJJ-MM-DD)")
    interest.add_argument("--json", action="store_true", help="uitvoer als JSON")
    calc.set_defaults(handler=_calc, migrate=False)


# --- helpers ---------------------------------------------------------------------------


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is geen datum; gebruik JJJJ-MM-DD") from None


def _amount(text: str) -> Decimal:
    from parsers.dutch import parse_amount

    value = parse_amount(text)
    if value is None:
        raise _StaffError(f"'{text}' is geen bedrag; gebruik bijvoorbeeld 125,50 of 1.250,00.")
    return value


class _StaffError(Exception):
    """A Dutch message for staff; the command prints it and exits with 1."""


def _fail(message: str) -> int:
    print(f"incasso: {message}", file=sys.stderr)
    return 1


def _find(session: Any, number: str) -> Any:
    from dossiers.queries import find_dossier

    dossier = find_dossier(session, number)
    if dossier is None:
        raise _StaffError(f"dossier {number} niet gevonden (controleer het nummer en het controlecijfer).")
    return dossier


def _run_event(context: Any, args: argparse.Namespace, change: Any) -> int:
    """Run `change(session, dossier, today, now)` in one transaction, then apply the track.

    `change` returns the Dutch line to print.
    """
    from daemon.phase_worker import PhaseWorker
    from dossiers.ledger import LedgerError

    today = context.clock.today()
    try:
        with context.session() as session:
            dossier = _find(session, args.number)
            message = change(session, dossier, today, context.clock.now())
            session.commit()
            dossier_id = dossier.id
    except (LedgerError, _StaffError) as error:
        return _fail(str(error))
    print(message)
    outcome = PhaseWorker(context).handle(dossier_id, today)
    _print_status(context, dossier_id, today, outcome)
    return 0


OUTCOME_LINES = {
    "letter": "Er is een brief klaargezet.",
    "paid": "Het dossier is volledig betaald en gesloten; de opdrachtgever krijgt bericht.",
    "waiting_consent": "Het dossier wacht op toestemming van de opdrachtgever.",
    "court": "Het dossier staat in fase 4 (procedure); zie incasso tasks list.",
    "review": "Het dossier staat in de controlelijst.",
}


def _print_status(context: Any, dossier_id: int, today: date, outcome: str) -> None:
    from dossiers.ledger import load_facts
    from dossiers.models import Dossier
    from phases.track import evaluate

    if outcome in OUTCOME_LINES:
        print(OUTCOME_LINES[outcome])
    with context.session() as session:
        dossier = session.get(Dossier, dossier_id)
        if dossier is None or dossier.status != "active":
            return
        decision = evaluate(load_facts(session, dossier), today)
    if decision.account is not None:
        balance = decision.account.balance
        print(f"Openstaand op {today:%d-%m-%Y}: {_euro(balance.total_open)} ({decision.status.description}).")


def _euro(amount: Decimal) -> str:
    from phases.money import format_euro

    return format_euro(amount).replace("\u00a0", " ")


def _yes_no(value: str | None) -> bool | None:
    return None if value is None else YES_NO[value]


# --- handlers --------------------------------------------------------------------------


def _payments(context: Any, args: argparse.Namespace) -> int:
    if args.payment_command == "list":
        return _payments_list(context, args)

    from dossiers.ledger import add_payment

    try:
        amount = _amount(args.amount)
    except _StaffError as error:
        return _fail(str(error))

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        add_payment(session, dossier, amount, args.date, reference=args.reference, actor=ACTOR, now=now, today=today)
        return f"Betaling van {_euro(amount)} op {args.date:%d-%m-%Y} geboekt op dossier {dossier.number}."

    return _run_event(context, args, change)


def _payments_list(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import load_facts
    from phases.track import evaluate

    today = context.clock.today()
    try:
        with context.session() as session:
            dossier = _find(session, args.number)
            decision = evaluate(load_facts(session, dossier), today)
    except _StaffError as error:
        return _fail(str(error))
    allocations = decision.account.balance.allocations if decision.account else ()
    rows = [
        {
            "received_on": item.received_on.isoformat(),
            "amount": f"{item.amount:.2f}",
            "to_costs": f"{item.to_costs:.2f}",
            "to_interest": f"{item.to_interest:.2f}",
            "to_principal": f"{item.to_principal:.2f}",
            "overpaid": f"{item.overpaid:.2f}",
        }
        for item in allocations
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("received_on", "amount", "to_costs", "to_interest", "to_principal", "overpaid"),
                    ("Ontvangen", "Bedrag", "Kosten", "Rente", "Hoofdsom", "Te veel"))
    return 0


def _hold(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import add_hold, lift_holds

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        if args.hold_command == "add":
            add_hold(session, dossier, "staff", args.reason, today=today, actor=ACTOR, now=now)
            return f"Dossier {dossier.number} staat stil vanaf {today:%d-%m-%Y}."
        lifted = lift_holds(session, dossier, args.reason, today=today, actor=ACTOR, now=now)
        if not lifted:
            raise _StaffError(f"dossier {dossier.number} staat niet stil.")
        return f"Dossier {dossier.number} loopt weer vanaf {today:%d-%m-%Y} ({len(lifted)} stop(s) opgeheven)."

    return _run_event(context, args, change)


def _dispute(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import add_hold

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        add_hold(session, dossier, "dispute", args.reason, today=today, actor=ACTOR, now=now)
        return f"Betwisting vastgelegd; dossier {dossier.number} staat stil tot de betwisting is afgehandeld (incasso hold lift)."

    return _run_event(context, args, change)


def _arrangement(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import add_arrangement, end_arrangement
    from phases.track_config import default_track_config

    if args.arrangement_command == "end":
        def end(session: Any, dossier: Any, today: date, now: Any) -> str:
            end_arrangement(session, dossier, today=today, actor=ACTOR, now=now)
            return f"Betalingsregeling van dossier {dossier.number} beëindigd; het traject loopt weer."

        return _run_event(context, args, end)

    try:
        instalments = _instalments(args)
    except _StaffError as error:
        return _fail(str(error))
    grace = args.grace_days if args.grace_days is not None else default_track_config().arrangement_grace_days

    def add(session: Any, dossier: Any, today: date, now: Any) -> str:
        add_arrangement(session, dossier, instalments, agreed_on=today, grace_days=grace, actor=ACTOR, now=now)
        total = sum((amount for _, amount in instalments), Decimal("0.00"))
        return f"Betalingsregeling vastgelegd: {len(instalments)} termijn(en), samen {_euro(total)}."

    return _run_event(context, args, add)


def _instalments(args: argparse.Namespace) -> list[tuple[date, Decimal]]:
    items: list[tuple[date, Decimal]] = []
    for text in args.instalment:
        day_text, _, amount_text = text.partition("=")
        try:
            due_on = date.fromisoformat(day_text)
        except ValueError:
            raise _StaffError(f"termijn '{text}' is ongeldig; gebruik DATUM=BEDRAG, bijvoorbeeld 2027-01-15=250,00.") from None
        items.append((due_on, _amount(amount_text)))
    if args.count is not None:
        if args.amount is None or args.first is None or args.count < 1:
            raise _StaffError("geef bij --count ook --amount en --first op, met --count minstens 1.")
        amount = _amount(args.amount)
        items.extend((_add_months(args.first, index), amount) for index in range(args.count))
    if not items:
        raise _StaffError("geef de termijnen op met --instalment of met --count, --amount en --first.")
    return items


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")


def _consent(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import record_consent

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        record_consent(session, dossier, args.date or today, note=args.note, actor=ACTOR, now=now)
        return f"Toestemming voor een procedure vastgelegd voor dossier {dossier.number}."

    return _run_event(context, args, change)


def _tasks(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import LedgerError, complete_task, open_tasks

    if args.task_command == "list":
        with context.session() as session:
            rows = open_tasks(session)
        if args.json:
            print_json(rows)
        elif not rows:
            print("Geen openstaande taken.")
        else:
            print_table(rows, ("id", "dossier", "label", "created_at", "note"), ("Nr", "Dossier", "Taak", "Aangemaakt", "Notitie"))
        return 0

    today = context.clock.today()
    try:
        with context.session() as session:
            task = complete_task(session, args.task_id, outcome=args.outcome, note=args.note, today=today, actor=ACTOR, now=context.clock.now())
            session.commit()
            dossier_id = task.dossier_id
    except LedgerError as error:
        return _fail(str(error))
    print(f"Taak {args.task_id} afgerond.")
    from daemon.phase_worker import PhaseWorker

    outcome = PhaseWorker(context).handle(dossier_id, today)
    _print_status(context, dossier_id, today, outcome)
    return 0


def _debtor(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import set_debtor_profile

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        profile = set_debtor_profile(
            session,
            dossier.debtor,
            consumer=_yes_no(args.consumer),
            natural_person_nl=_yes_no(args.natural_person_nl),
            email_consent=_yes_no(args.email_consent),
            actor=ACTOR,
            now=now,
        )
        flags = [
            "consument" if profile.consumer else "zakelijk",
            "natuurlijk persoon in NL" if profile.natural_person_nl else "geen natuurlijk persoon in NL",
            "akkoord met e-mail" if profile.email_consent else "geen akkoord met e-mail",
        ]
        return f"Debiteur van dossier {dossier.number}: {', '.join(flags)}."

    return _run_event(context, args, change)


def _terms(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import set_dossier_terms

    changes: dict[str, Any] = {}
    if args.contract_rate is not None:
        changes["contract_rate_percent"] = args.contract_rate.replace(",", ".")
    if args.cost_clause is not None:
        changes["cost_clause_percent"] = args.cost_clause.replace(",", ".")
    if args.instalments is not None:
        changes["instalment_claims"] = YES_NO[args.instalments]
    if args.default_on is not None:
        changes["default_on"] = args.default_on
    if args.claimant_category is not None:
        changes["claimant_category"] = args.claimant_category
    if not changes:
        return _fail("geef minstens één afspraak op; zie incasso terms --help.")

    def change(session: Any, dossier: Any, today: date, now: Any) -> str:
        set_dossier_terms(session, dossier, changes, actor=ACTOR, now=now)
        return f"Afspraken van dossier {dossier.number} bijgewerkt."

    return _run_event(context, args, change)


def _close(context: Any, args: argparse.Namespace) -> int:
    from dossiers.ledger import close_dossier

    today = context.clock.today()
    try:
        with context.session() as session:
            dossier = _find(session, args.number)
            close_dossier(session, dossier, args.reason, actor=ACTOR, now=context.clock.now())
            session.commit()
            print(f"Dossier {dossier.number} gesloten op {today:%d-%m-%Y}.")
    except _StaffError as error:
        return _fail(str(error))
    return 0


def _calc(context: Any, args: argparse.Namespace) -> int:
    try:
        if args.calc_command == "bik":
            return _calc_bik(args)
        return _calc_interest(args)
    except _StaffError as error:
        return _fail(str(error))


def _calc_bik(args: argparse.Namespace) -> int:
    from phases.bik import bik, default_bik_scale

    principal = _amount(args.amount)
    if principal < 0:
        raise _StaffError("de hoofdsom kan niet negatief zijn.")
    scale = default_bik_scale()
    result = bik(principal, vat_rate=scale.vat_rate_percent if args.vat else None)
    if args.json:
        print_json({"bik": f"{result.amount:.2f}", "vat": f"{result.vat:.2f}", "total": f"{result.total:.2f}"})
        return 0
    print(f"Hoofdsom:                         {_euro(principal)}")
    print(f"Buitengerechtelijke incassokosten: {_euro(result.amount)}")
    if args.vat:
        print(f"Btw {scale.vat_rate_percent} %:                      {_euro(result.vat)}")
    print(f"Totaal incassokosten:             {_euro(result.total)}")
    return 0


def _calc_interest(args: argparse.Namespace) -> int:
    from phases.balance import ClaimInput, compute_balance
    from phases.interest import InterestRule
    from phases.money import format_percent
    from phases.rates import RateNotFound, default_rate_table

    principal = _amount(args.principal)
    if principal < 0:
        raise _StaffError("de hoofdsom kan niet negatief zijn.")
    if args.end < args.start:
        raise _StaffError("--to ligt voor --from.")
    rates = default_rate_table()
    claim = ClaimInput("rekenhulp", args.start - timedelta(days=1), principal, args.start)
    try:
        balance = compute_balance([claim], [], [], args.end, InterestRule(args.kind, rates))
    except RateNotFound as error:
        raise _StaffError(f"geen rentetarief bekend voor deze periode ({error}).") from None
    warning = rates.coverage_warning(args.end)
    if warning:
        print(f"Let op: {warning}", file=sys.stderr)

    periods = balance.claims[0].periods
    total = balance.interest_accrued
    if args.json:
        print_json(
            {
                "interest": f"{total:.2f}",
                "periods": [
                    {
                        "from": period.start.isoformat(),
                        "to": period.end.isoformat(),
                        "rate": f"{period.rate_percent:.2f}",
                        "days": period.days,
                        "base": f"{period.base:.2f}",
                        "interest": f"{period.amount:.2f}",
                    }
                    for period in periods
                ],
            }
        )
        return 0
    label = "Wettelijke handelsrente (art. 6:119a BW)" if args.kind == "commercial" else "Wettelijke rente (art. 6:119 BW)"
    print(f"{label} over {_euro(principal)} van {args.start:%d-%m-%Y} t/m {args.end:%d-%m-%Y}:")
    for period in periods:
        rate = format_percent(period.rate_percent).replace("\u00a0", " ")
        print(f"  {period.start:%d-%m-%Y} t/m {period.end:%d-%m-%Y}: {period.days} dagen x {rate} over {_euro(period.base)} = {_euro(period.amount)}")
    print(f"Totaal rente: {_euro(total)} (dagen / 365; na elk vol jaar wordt de rente bij de hoofdsom opgeteld)")
    return 0
