"""Outbox transport that delivers e-mail over SMTP with smtplib.

One connection is reused for consecutive deliveries and replaced when the server has
dropped it. Failures are classified for the outbox sender: 4xx replies and network
errors are transient (retried with back-off), 5xx replies are permanent (shown to staff).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from typing import Literal

from daemon.outbox.base import DeliveryError, OutgoingMail
from daemon.net import is_loopback_host

logger = logging.getLogger(__name__)

Security = Literal["tls", "starttls", "none"]
SECURITY_MODES: tuple[str, ...] = ("tls", "starttls", "none")


class TransportConfigError(ValueError):
    """The SMTP settings are invalid; raised when the transport is built."""


class SmtpTransport:
    """Deliver `OutgoingMail` to one SMTP server (a relay or the provider's submission port)."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        user: str | None,
        password: str | None,
        timeout: float = 30,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise TransportConfigError(
                f"invalid SMTP security {security!r}: use one of {', '.join(SECURITY_MODES)}"
            )
        if not 0 < port < 65536:
            raise TransportConfigError(f"invalid SMTP port {port}: use 1 to 65535")
        if security == "none" and not is_loopback_host(host):
            raise TransportConfigError(
                f"SMTP security 'none' is only allowed for a loopback host, not {host!r}: "
                "use 'tls' or 'starttls'"
            )
        if bool(user) != bool(password):
            raise TransportConfigError("set both the SMTP user and password, or neither")

        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self._password = password
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        # The password is left out on purpose.
        return f"SmtpTransport({self.host!r}, {self.port}, {self.security!r}, user={self.user!r})"

    def deliver(self, mail: OutgoingMail) -> None:
        """Send one message to its envelope recipients; raise DeliveryError on failure.

        When the server accepts some recipients and rejects others, the message counts
        as delivered: the rejections are logged as a warning, because a retry would send
        a second copy to the recipients that already have it.
        """
        if not mail.recipients:
            raise DeliveryError(f"outbox {mail.outbox_id}: no recipients", permanent=True)

        smtp = self._connection(mail.outbox_id)
        try:
            refused = smtp.sendmail(mail.envelope_from, list(mail.recipients), mail.raw)
        except smtplib.SMTPRecipientsRefused as error:
            self._reset_or_drop()
            raise _recipients_refused_error(mail.outbox_id, error) from error
        except smtplib.SMTPResponseException as error:
            # SMTPSenderRefused, SMTPDataError and every other coded reply.
            self._reset_or_drop()
            raise _reply_error(mail.outbox_id, error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise DeliveryError(
                f"outbox {mail.outbox_id}: connection to {self.host}:{self.port} failed: {error}",
                permanent=False,
            ) from error

        if refused:
            codes = sorted({code for code, _ in refused.values()})
            logger.warning(
                "Outbox %s (Message-ID %s) was rejected for %d of %d recipients, codes %s",
                mail.outbox_id, mail.message_id, len(refused), len(mail.recipients), codes,
            )
        logger.debug("Delivered outbox %s (Message-ID %s) over SMTP", mail.outbox_id, mail.message_id)

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connection(self, outbox_id: int) -> smtplib.SMTP:
        """Return a live connection, reusing the open one when it still replies 250 to NOOP."""
        if self._smtp is not None:
            try:
                code, _ = self._smtp.noop()
            except (smtplib.SMTPException, OSError):
                code = -1
            if code == 250:
                return self._smtp
            logger.info("SMTP connection to %s:%s was dropped; reconnecting", self.host, self.port)
            self._drop()

        try:
            self._smtp = self._connect()
        except smtplib.SMTPAuthenticationError as error:
            # A bad login fails every message, not just this one. It is logged as an error
            # for staff and kept transient, so the queue goes out once the login is fixed.
            logger.error(
                "SMTP login to %s:%s as %s failed with %s", self.host, self.port, self.user, error.smtp_code
            )
            raise DeliveryError(
                f"outbox {outbox_id}: SMTP login to {self.host}:{self.port} failed "
                f"({error.smtp_code}); check the SMTP user and password",
                permanent=False,
                code=error.smtp_code,
            ) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"outbox {outbox_id}: SMTP server {self.host}:{self.port} replied "
                f"{error.smtp_code} while connecting: {_text(error.smtp_error)}",
                permanent=False,
                code=error.smtp_code,
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"outbox {outbox_id}: cannot connect to SMTP server {self.host}:{self.port}: {error}",
                permanent=False,
            ) from error
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        logger.debug("Connecting to SMTP server %s:%s (%s)", self.host, self.port, self.security)
        context = self._ssl_context
        if context is None and self.security != "none":
            context = ssl.create_default_context()

        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, local_hostname=self.local_hostname,
                timeout=self.timeout, context=context,
            )
        else:
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )

        try:
            smtp.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user and self._password:
                smtp.login(self.user, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _reset_or_drop(self) -> None:
        """Leave the connection ready for the next message after a rejected one."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply


def _reply_error(outbox_id: int, code: int, reply: bytes | str) -> DeliveryError:
    permanent = 500 <= code < 600
    kind = "rejected" if permanent else "deferred"
    return DeliveryError(
        f"outbox {outbox_id}: SMTP server {kind} the message with {code}: {_text(reply)}",
        permanent=permanent,
        code=code,
    )


def _recipients_refused_error(outbox_id: int, error: smtplib.SMTPRecipientsRefused) -> DeliveryError:
    """Classify the rejection of every recipient: permanent only when all replies were 5xx."""
    codes = [code for code, _ in error.recipients.values()]
    transient = [code for code in codes if not 500 <= code < 600]
    code = transient[0] if transient else codes[0]
    replies = "; ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
    return DeliveryError(
        f"outbox {outbox_id}: SMTP server rejected all {len(codes)} recipients: {replies}",
        permanent=not transient,
        code=code,
    )
