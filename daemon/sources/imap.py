"""Mailbox source that reads one folder of an IMAP mailbox with imapclient.

This is the fetch step of the intake pipeline. Messages above the stored UID watermark
are fetched with `BODY.PEEK[]`, which leaves the \\Seen flag untouched. Only after the
daemon has committed a message does `mark_processed` move it to the processed folder or
flag it.

The connection is opened on first use. Any socket error, timeout or BYE closes it and
raises SourceError for the current call, and the next call opens a new connection. The
password is not logged here, and imapclient 4.1 redacts LOGIN in its protocol log. That
log does contain message bodies at DEBUG, so keep the `imapclient` logger at INFO.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from daemon.net import is_loopback_host
from daemon.sources.base import SourceConfigError, SourceError, SourceMessage, Watermark

logger = logging.getLogger(__name__)

Security = Literal["tls", "starttls", "none"]
MarkMode = Literal["move", "flag"]
SECURITY_MODES: tuple[str, ...] = ("tls", "starttls", "none")
MARK_MODES: tuple[str, ...] = ("move", "flag")

PROCESSED_KEYWORD = b"$Incasso-Verwerkt"
SEEN = b"\\Seen"
DELETED = b"\\Deleted"

# imapclient 4.1 sends a UID list as "1,2,3,…" and Dovecot rejects command lines over
# 64 KiB (imap_max_line_length), so at most this many UIDs go into one command.
UIDS_PER_COMMAND = 1000
DEFAULT_MAX_BATCH_BYTES = 50 * 1024 * 1024
# RFC 2177 lets a server end an IDLE after 30 minutes of silence. Renewing well before
# that also finds a silently dead connection, because the reply to DONE must arrive
# within `timeout`.
DEFAULT_IDLE_RENEWAL = 10 * 60.0


@dataclass(frozen=True)
class _FolderState:
    uidvalidity: int
    uidnext: int | None
    exists: int


class ImapSource:
    """One IMAP folder as a MailboxSource (see `daemon.sources.base`)."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        user: str,
        password: str,
        folder: str = "INBOX",
        processed_folder: str = "Verwerkt",
        mark_mode: MarkMode = "move",
        timeout: float = 30.0,
        batch_size: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        *,
        mailbox_name: str | None = None,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        idle_renewal: float = DEFAULT_IDLE_RENEWAL,
    ) -> None:
        """Validate the settings; no connection is made until the first call.

        `mailbox_name` is the stable name stored with each message (its `source_key`
        prefix); it defaults to "imap:{user}@{host}/{folder}". `max_batch_bytes` caps the
        total RFC822.SIZE of one FETCH, so a batch of large messages does not fill memory.
        """
        _validate_settings(
            host, port, security, user, folder, processed_folder, mark_mode,
            timeout, batch_size, max_batch_bytes, idle_renewal,
        )
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self._password = password
        self.folder = folder
        self.processed_folder = processed_folder
        self.mark_mode = mark_mode
        self.timeout = timeout
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.idle_renewal = idle_renewal
        self._ssl_context = ssl_context
        self.mailbox = mailbox_name or f"imap:{user}@{host}/{folder}"

        self._client: IMAPClient | None = None
        self._selected: _FolderState | None = None
        self._processed_folder_ready = False
        self._last_uidvalidity: int | None = None

    def __repr__(self) -> str:
        # The password is left out on purpose.
        return (
            f"ImapSource({self.host!r}, {self.port}, {self.security!r}, user={self.user!r}, "
            f"folder={self.folder!r})"
        )

    # -- MailboxSource -------------------------------------------------------------

    def fetch(self, watermark: Watermark | None, limit: int) -> Iterator[SourceMessage]:
        """Yield at most `limit` messages above the watermark, in UID order.

        When the folder's UIDVALIDITY differs from the watermark's (or there is no
        watermark), every message in the folder is returned. Raises SourceError when
        the server cannot be read; messages yielded before the error stay valid.
        """
        if watermark is not None and watermark.mailbox != self.mailbox:
            raise ValueError(
                f"watermark for mailbox {watermark.mailbox!r} passed to source {self.mailbox!r}"
            )
        if limit <= 0:
            return

        with self._guard("select"):
            client = self._connection()
            state = self._select(client)

        first_uid = 1
        if watermark is not None and watermark.uidvalidity == state.uidvalidity:
            first_uid = watermark.last_uid + 1
        elif watermark is not None:
            logger.info(
                "UIDVALIDITY of %s changed from %s to %s; fetching every message again",
                self.mailbox, watermark.uidvalidity, state.uidvalidity,
            )

        if state.exists == 0 or (state.uidnext is not None and state.uidnext <= first_uid):
            logger.debug("No new messages in %s above UID %s", self.mailbox, first_uid - 1)
            return

        with self._guard("search"):
            found = client.search(["UID", f"{first_uid}:*"])
            # "n:*" always matches the highest UID, even when it is below n.
            uids = sorted(uid for uid in found if uid >= first_uid)[:limit]
            if not uids:
                return
            sizes = self._fetch_sizes(client, uids)

        logger.debug("Fetching %d messages from %s: UIDs %s", len(uids), self.mailbox, _uid_set(uids))
        for batch in _plan_batches(uids, sizes, self.batch_size, self.max_batch_bytes):
            if self._client is not client:
                # A call made between two batches (mark_processed) replaced the
                # connection; the next fetch continues from the watermark.
                logger.debug("Connection to %s changed during fetch; stopping early", self.mailbox)
                return
            with self._guard("fetch"):
                response = client.fetch(batch, ["BODY.PEEK[]"])
            yield from self._messages_from(batch, response, state.uidvalidity)

    def current_uidvalidity(self) -> int:
        """Return the UIDVALIDITY of the last select, selecting the folder if needed."""
        if self._last_uidvalidity is None:
            with self._guard("select"):
                self._select(self._connection())
        assert self._last_uidvalidity is not None
        return self._last_uidvalidity

    def mark_processed(self, message: SourceMessage) -> None:
        """Move the message to the processed folder, or flag it. Idempotent.

        A UID no longer in the folder is not an error. When the folder's UIDVALIDITY no
        longer matches the message's, its UID may now name another message, so nothing
        is changed and a warning is logged.
        """
        if message.uid is None or message.mailbox != self.mailbox:
            raise ValueError(f"message {message.source_key} does not belong to {self.mailbox}")

        with self._guard("mark processed"):
            client = self._connection()
            state = self._selected or self._select(client)
            if state.uidvalidity != message.uidvalidity:
                logger.warning(
                    "Not marking UID %s in %s as processed: UIDVALIDITY is now %s, not %s",
                    message.uid, self.mailbox, state.uidvalidity, message.uidvalidity,
                )
                return

            try:
                self._mark(client, [message.uid])
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                # Dovecot replies NO [EXPUNGEISSUED] when another session expunged the
                # message while this one had the folder selected.
                if self._uid_exists(client, message.uid):
                    raise
                logger.debug("UID %s is no longer in %s; nothing to mark", message.uid, self.mailbox)

    def mark_processed_many(self, messages: Sequence[SourceMessage]) -> None:
        """Mark several messages as `mark_processed` does, with one command per group.

        One MOVE per message costs Dovecot a Maildir index update each time (220 to 450
        messages/s against about 16,000 per group of 100, measured with
        benchmarks/imap_fetch.py on loopback), so a caller that has committed a whole
        batch should use this. A group that fails with NO (for
        example because another session expunged one of its messages) is retried one
        message at a time.
        """
        for message in messages:
            if message.uid is None or message.mailbox != self.mailbox:
                raise ValueError(f"message {message.source_key} does not belong to {self.mailbox}")
        if not messages:
            return

        with self._guard("mark processed"):
            client = self._connection()
            state = self._selected or self._select(client)
        current = [m for m in messages if m.uidvalidity == state.uidvalidity]
        if len(current) < len(messages):
            logger.warning(
                "Not marking %d messages in %s as processed: UIDVALIDITY is now %s",
                len(messages) - len(current), self.mailbox, state.uidvalidity,
            )

        for start in range(0, len(current), UIDS_PER_COMMAND):
            group = current[start:start + UIDS_PER_COMMAND]
            uids = [m.uid for m in group if m.uid is not None]
            with self._guard("mark processed"):
                try:
                    self._mark(client, uids)
                    continue
                except IMAPClientAbortError:
                    raise
                except IMAPClientError as error:
                    logger.debug("Marking %d UIDs in one command failed (%s); marking one by one", len(uids), error)
            for message in group:
                self.mark_processed(message)

    def close(self) -> None:
        """Log out and close the connection, if one is open."""
        client, self._client = self._client, None
        self._forget_connection_state()
        if client is None:
            return
        try:
            client.logout()
        except (IMAPClientError, OSError):
            _shutdown_quietly(client)

    # -- IDLE ----------------------------------------------------------------------

    def wait_for_new(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for new mail in the folder with IMAP IDLE.

        Returns True as soon as the server announces a new message, False when the
        timeout passed without one. Without the IDLE capability it sleeps for
        `timeout` and returns False, so the caller falls back to polling. The IDLE is
        renewed every `idle_renewal` seconds. Raises SourceError on a broken connection.
        """
        deadline = time.monotonic() + timeout
        with self._guard("idle"):
            client = self._connection()
            self._select(client)
            has_idle = client.has_capability("IDLE")
        if not has_idle:
            time.sleep(max(0.0, timeout))
            return False

        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._guard("idle"):
                if self._idle_round(client, min(remaining, self.idle_renewal)):
                    return True

    def _idle_round(self, client: IMAPClient, duration: float) -> bool:
        """Run one IDLE command for `duration` seconds; return whether mail arrived."""
        round_end = time.monotonic() + duration
        announced = False
        client.idle()
        try:
            while not announced:
                left = round_end - time.monotonic()
                if left <= 0:
                    break
                responses = client.idle_check(timeout=left)
                _raise_on_bye(responses)
                if not responses and round_end - time.monotonic() > 0.5:
                    # idle_check returns early with nothing only when the server closed
                    # the socket.
                    raise SourceError(f"IMAP server {self.host}:{self.port} closed the connection during IDLE")
                announced = _announces_new_mail(responses)
        finally:
            _, trailing = client.idle_done()
        return announced or _announces_new_mail(trailing)

    # -- connection ----------------------------------------------------------------

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn imapclient and socket errors into SourceError and drop the connection."""
        try:
            yield
        except SourceError:
            self._disconnect()
            raise
        except LoginError as error:
            self._disconnect()
            raise SourceConfigError(
                f"IMAP login to {self.host}:{self.port} as {self.user} failed: {error}"
            ) from error
        except ssl.SSLCertVerificationError as error:
            self._disconnect()
            raise SourceConfigError(
                f"TLS certificate of IMAP server {self.host}:{self.port} is not valid: {error}"
            ) from error
        except (IMAPClientError, OSError) as error:
            # IMAPClientAbortError (BYE, EOF) is a subclass of IMAPClientError, and
            # socket timeouts and SSL errors are OSErrors.
            self._disconnect()
            raise SourceError(
                f"IMAP {action} on {self.host}:{self.port} folder {self.folder!r} failed: {error}"
            ) from error

    def _connection(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> IMAPClient:
        logger.debug(
            "Connecting to IMAP server %s:%s (%s) as %s", self.host, self.port, self.security, self.user
        )
        context = self._ssl_context
        if context is None and self.security != "none":
            context = ssl.create_default_context()

        client = IMAPClient(
            self.host,
            port=self.port,
            use_uid=True,
            ssl=self.security == "tls",
            ssl_context=context,
            timeout=self.timeout,
        )
        try:
            if self.security == "starttls":
                client.starttls(context)
            client.login(self.user, self._password)
        except BaseException:
            _shutdown_quietly(client)
            raise
        self._forget_connection_state()
        return client

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        self._forget_connection_state()
        if client is not None:
            _shutdown_quietly(client)

    def _forget_connection_state(self) -> None:
        self._selected = None
        self._processed_folder_ready = False

    def _select(self, client: IMAPClient) -> _FolderState:
        try:
            info = client.select_folder(self.folder)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as error:
            if not client.folder_exists(self.folder):
                raise SourceConfigError(
                    f"IMAP folder {self.folder!r} not found on {self.host}:{self.port}"
                ) from error
            raise

        state = _FolderState(
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
            exists=int(info.get(b"EXISTS", 0)),
        )
        self._selected = state
        self._last_uidvalidity = state.uidvalidity
        logger.debug(
            "Selected %s on %s:%s: UIDVALIDITY %s, UIDNEXT %s, %s messages",
            self.folder, self.host, self.port, state.uidvalidity, state.uidnext, state.exists,
        )
        return state

    # -- fetch helpers -------------------------------------------------------------

    def _fetch_sizes(self, client: IMAPClient, uids: Sequence[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        if len(uids) <= 1:
            return sizes
        for start in range(0, len(uids), UIDS_PER_COMMAND):
            chunk = list(uids[start:start + UIDS_PER_COMMAND])
            response = client.fetch(chunk, ["RFC822.SIZE"])
            for uid, data in response.items():
                sizes[uid] = int(data.get(b"RFC822.SIZE", 0))
        return sizes

    def _messages_from(
        self, batch: Sequence[int], response: dict, uidvalidity: int
    ) -> Iterator[SourceMessage]:
        for uid in batch:
            data = response.get(uid)
            if data is None:
                logger.debug("UID %s left %s before it was fetched", uid, self.mailbox)
                continue
            raw = data.get(b"BODY[]")
            if raw is None:
                logger.warning("Server returned no body for UID %s in %s; skipped", uid, self.mailbox)
                continue
            yield SourceMessage(
                mailbox=self.mailbox, uidvalidity=uidvalidity, uid=uid, key=str(uid), raw=bytes(raw)
            )

    # -- mark helpers --------------------------------------------------------------

    def _mark(self, client: IMAPClient, uids: list[int]) -> None:
        if self.mark_mode == "flag":
            client.add_flags(uids, [PROCESSED_KEYWORD, SEEN], silent=True)
            logger.debug("Flagged UIDs %s in %s as processed", _uid_set(uids), self.mailbox)
            return

        self._ensure_processed_folder(client)
        self._move(client, uids)
        logger.debug("Moved UIDs %s from %s to %s", _uid_set(uids), self.mailbox, self.processed_folder)

    def _uid_exists(self, client: IMAPClient, uid: int) -> bool:
        client.noop()
        return uid in client.search(["UID", str(uid)])

    def _ensure_processed_folder(self, client: IMAPClient) -> None:
        if self._processed_folder_ready:
            return
        if not client.folder_exists(self.processed_folder):
            try:
                client.create_folder(self.processed_folder)
                logger.info("Created IMAP folder %s on %s:%s", self.processed_folder, self.host, self.port)
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                # Another daemon may have created it at the same moment.
                if not client.folder_exists(self.processed_folder):
                    raise
            try:
                client.subscribe_folder(self.processed_folder)
            except IMAPClientAbortError:
                raise
            except IMAPClientError as error:
                logger.info("Could not subscribe to %s: %s", self.processed_folder, error)
        self._processed_folder_ready = True

    def _move(self, client: IMAPClient, uids: list[int]) -> None:
        if client.has_capability("MOVE"):
            client.move(uids, self.processed_folder)
            return

        # NOTE: without MOVE a crash between COPY and EXPUNGE leaves a copy behind, and
        # the retry copies the message a second time into the processed folder.
        client.copy(uids, self.processed_folder)
        client.add_flags(uids, [DELETED], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


def _validate_settings(
    host: str,
    port: int,
    security: str,
    user: str,
    folder: str,
    processed_folder: str,
    mark_mode: str,
    timeout: float,
    batch_size: int,
    max_batch_bytes: int,
    idle_renewal: float,
) -> None:
    if not host:
        raise SourceConfigError("IMAP host is missing")
    if not 0 < port < 65536:
        raise SourceConfigError(f"invalid IMAP port {port}: use 1 to 65535")

    if security not in SECURITY_MODES:
        raise SourceConfigError(
            f"invalid IMAP security {security!r}: use one of {', '.join(SECURITY_MODES)}"
        )
    if security == "none" and not is_loopback_host(host):
        raise SourceConfigError(
            f"IMAP security 'none' is only allowed for a loopback host, not {host!r}: "
            "use 'tls' or 'starttls'"
        )

    if not user:
        raise SourceConfigError("IMAP user is missing")
    if not folder:
        raise SourceConfigError("IMAP folder is missing")

    if mark_mode not in MARK_MODES:
        raise SourceConfigError(f"invalid IMAP mark mode {mark_mode!r}: use one of {', '.join(MARK_MODES)}")
    if mark_mode == "move" and processed_folder == folder:
        raise SourceConfigError(f"the processed folder must differ from the folder read ({folder!r})")
    if mark_mode == "move" and not processed_folder:
        raise SourceConfigError("IMAP processed folder is missing")

    if timeout <= 0:
        raise SourceConfigError(f"invalid IMAP timeout {timeout}: use a positive number of seconds")
    if batch_size < 1:
        raise SourceConfigError(f"invalid IMAP batch size {batch_size}: use 1 or more")
    if max_batch_bytes < 1:
        raise SourceConfigError(f"invalid IMAP max batch bytes {max_batch_bytes}: use 1 or more")
    if not 0 < idle_renewal < 29 * 60:
        raise SourceConfigError(
            f"invalid IDLE renewal {idle_renewal}: use more than 0 and less than 1740 seconds"
        )


def _uid_set(uids: Sequence[int]) -> str:
    """Return sorted UIDs as an IMAP sequence set with ranges, e.g. "1:3,7,9:10"."""
    parts: list[str] = []
    ordered = sorted(uids)
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid == previous + 1:
            previous = uid
            continue
        parts.append(f"{start}:{previous}" if previous > start else str(start))
        start = previous = uid
    parts.append(f"{start}:{previous}" if previous > start else str(start))
    return ",".join(parts)


def _plan_batches(
    uids: Sequence[int], sizes: dict[int, int], batch_size: int, max_batch_bytes: int
) -> list[list[int]]:
    """Split UIDs into batches of at most `batch_size` messages and `max_batch_bytes`.

    A message larger than `max_batch_bytes` gets a batch of its own.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if current and (len(current) >= batch_size or current_bytes + size > max_batch_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(uid)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


def _announces_new_mail(responses: list) -> bool:
    return any(
        isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"
        for response in responses
    )


def _raise_on_bye(responses: list) -> None:
    for response in responses:
        if isinstance(response, tuple) and response and response[0] == b"BYE":
            text = response[1] if len(response) > 1 else b""
            raise IMAPClientAbortError(f"server sent BYE: {text!r}")


def _shutdown_quietly(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except (IMAPClientError, OSError) as error:
        logger.debug("Closing the IMAP socket failed: %s", error)
