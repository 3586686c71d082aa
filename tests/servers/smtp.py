"""An aiosmtpd SMTP server on loopback that records every message, with fault injection.

    from servers.smtp import smtp_sink  # noqa: F401  (makes the fixture available)

    def test_send(smtp_sink):
        transport = SmtpTransport(smtp_sink.host, smtp_sink.port, "none", None, None)
        ...
        assert smtp_sink.messages[0].recipients == ("a@example.nl",)

Faults: `fail_next(n, code, message, stage)` replies to the next n transactions with
`code` at MAIL, RCPT or DATA; `reject_recipient(address, code)` refuses one address;
`drop_connections()` closes every open client connection from the server side.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from servers.certs import SelfSignedCertificate

Stage = Literal["mail", "rcpt", "data"]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the sink accepted it."""

    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes
    message_id: str | None
    in_reply_to: str | None
    peer: tuple[str, int]
    authenticated_as: str | None


@dataclass
class _Fault:
    remaining: int
    code: int
    message: str
    stage: Stage


class RecordingHandler:
    """aiosmtpd handler that stores messages and replies with injected faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._faults: list[_Fault] = []
        self._rejected: dict[str, tuple[int, str]] = {}
        self.connections = 0

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def fail_next(self, count: int, code: int, message: str, stage: Stage) -> None:
        with self._lock:
            self._faults.append(_Fault(count, code, message, stage))

    def reject_recipient(self, address: str, code: int, message: str) -> None:
        with self._lock:
            self._rejected[address.lower()] = (code, message)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._faults.clear()
            self._rejected.clear()

    def _take_fault(self, stage: Stage) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage == stage and fault.remaining > 0:
                    fault.remaining -= 1
                    return f"{fault.code} {fault.message}"
        return None

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        # Counted here rather than on connect: Controller.start() opens a probe
        # connection of its own that never sends EHLO.
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        reply = self._take_fault("mail")
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self._take_fault("rcpt")
        if reply is not None:
            return reply
        with self._lock:
            rejection = self._rejected.get(address.lower())
        if rejection is not None:
            return f"{rejection[0]} {rejection[1]}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self._take_fault("data")
        if reply is not None:
            return reply

        raw = envelope.original_content or b""
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        received = ReceivedMessage(
            envelope_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            raw=raw,
            message_id=_header(headers, "Message-ID"),
            in_reply_to=_header(headers, "In-Reply-To"),
            peer=tuple(session.peer[:2]),  # type: ignore[arg-type]
            authenticated_as=login,
        )
        with self._lock:
            self._messages.append(received)
        return "250 OK: queued"


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    return str(value).strip() if value is not None else None


class _TrackingSMTP(SMTP):
    """aiosmtpd's SMTP protocol, remembering each connection so tests can drop it."""

    def __init__(self, sink: SmtpSink, *args: Any, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            # AUTH without TLS is intended here: the sink only listens on loopback.
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            super().__init__(*args, **kwargs)
        self._sink = sink

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._sink._register(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._sink._unregister(self.transport)
        super().connection_lost(error)


class _SinkController(Controller):
    def __init__(self, sink: SmtpSink, handler: RecordingHandler, **kwargs: Any) -> None:
        self._sink = sink
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return _TrackingSMTP(self._sink, self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """An SMTP server on a free loopback port that records what it receives.

    With `users` set, AUTH PLAIN/LOGIN is offered and required, also without TLS
    because the server only listens on loopback. With `tls` "starttls" or "tls" the
    server presents `certificate` (STARTTLS offered, or TLS from the first byte).
    """

    def __init__(
        self,
        users: dict[str, str] | None = None,
        tls: Literal["none", "starttls", "tls"] = "none",
        certificate: SelfSignedCertificate | None = None,
    ) -> None:
        if tls != "none" and certificate is None:
            raise ValueError("a TLS sink needs a certificate")
        self.host = HOST
        self.port = 0
        self.handler = RecordingHandler()
        self._users = users
        self._tls = tls
        self._certificate = certificate
        self._controller: _SinkController | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._transports_lock = threading.Lock()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every message accepted so far, in arrival order (a copy)."""
        return self.handler.messages

    @property
    def connection_count(self) -> int:
        """Number of client sessions (EHLO greetings) since the server started."""
        return self.handler.connections

    def start(self) -> SmtpSink:
        kwargs: dict[str, Any] = {}
        if self._users is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        if self._certificate is not None and self._tls == "starttls":
            kwargs.update(tls_context=self._certificate.server_context())
        if self._certificate is not None and self._tls == "tls":
            kwargs.update(ssl_context=self._certificate.server_context())

        self.port = _free_port()
        self._controller = _SinkController(
            self, self.handler, hostname=self.host, port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(
        self, count: int = 1, code: int = 451, message: str = "4.3.0 Try again later", stage: Stage = "data"
    ) -> None:
        """Reply to the next `count` transactions with `code` at the given stage."""
        self.handler.fail_next(count, code, message, stage)

    def reject_recipient(self, address: str, code: int = 550, message: str = "5.1.1 No such user") -> None:
        """Reject RCPT TO for `address` (case-insensitive) with `code` from now on."""
        self.handler.reject_recipient(address, code, message)

    def drop_connections(self) -> None:
        """Close every open client connection from the server side, and wait until done."""
        assert self._controller is not None
        loop = self._controller.loop
        done = threading.Event()

        def close_all() -> None:
            with self._transports_lock:
                transports = list(self._transports)
            for transport in transports:
                transport.close()
            done.set()

        loop.call_soon_threadsafe(close_all)
        done.wait(5)

    def _register(self, transport: asyncio.BaseTransport) -> None:
        with self._transports_lock:
            self._transports.add(transport)

    def _unregister(self, transport: asyncio.BaseTransport | None) -> None:
        with self._transports_lock:
            self._transports.discard(transport)  # type: ignore[arg-type]

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._users is not None
        if isinstance(auth_data, LoginPassword):
            expected = self._users.get(auth_data.login.decode())
            if expected is not None and expected == auth_data.password.decode():
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A fresh recording SMTP server on loopback, without authentication."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_sink_auth() -> Iterator[SmtpSink]:
    """A recording SMTP server that requires AUTH as `mailer` / `geheim`."""
    sink = SmtpSink(users={"mailer": "geheim"}).start()
    try:
        yield sink
    finally:
        sink.stop()
