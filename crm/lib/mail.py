"""Outgoing e-mail: building a message and handing it to the mail server.

Where mail goes depends on the configuration:

- ``CRM_SMTP_HOST`` set: SMTP (optionally STARTTLS and login). Each worker process keeps one
  connection open and reuses it, so a batch of reminders does not pay a TCP and EHLO round
  trip per message.
- no SMTP host but ``MAIL_OUTBOX_DIR`` (the embedded default, ``instance/outbox``): one
  ``.eml`` file per message, named after its Message-ID. Writing the same message again
  replaces the file, so the folder never holds a message twice.
- neither (the unit tests): kept in memory, in ``app.extensions["crm_mail_outbox"]``.

``deliver`` raises ``TemporaryFailure`` (try again later: connection refused or timed out,
4xx replies, a server that hung up) or ``PermanentFailure`` (a 5xx reply about this message
or this recipient: retrying cannot help). A temporary failure says whether it was about the
server (``TemporaryFailure.server``: unreachable, hung up, 421 "closing", sender or login
refused: the next message would fail the same way) or about this one message (a 4xx reply to
its recipient or its data). A refusal of one message leaves the connection open (the client
resets the transaction with RSET), so the next message of a batch goes over the same
connection. Mail goes to CRM users only; nothing here looks up addresses, callers pass the
user's own address.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import smtplib
import ssl
import tempfile
import time
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from crm.models.base import utcnow

log = logging.getLogger(__name__)

_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any mail client's "show source", unlike base64


class _WirePolicy(Compat32):
    """``compat32`` with CRLF line ends, and a short way for the usual header: ASCII that fits
    on one line comes out exactly as ``compat32`` writes it, without building a ``Header``
    for it (which cost more than half of turning a message into bytes)."""

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and len(name) + len(value) + 2 <= 78
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _WirePolicy(linesep="\r\n")

FALLBACK_DOMAIN = "werkgeverscrm.local"
# A reused SMTP connection idle for longer than this is checked with NOOP first, and one idle
# for longer than MAX_IDLE is closed and opened again (servers hang up on idle clients).
CHECK_AFTER_IDLE = 2.0
MAX_IDLE = 60.0


class MailFailure(Exception):
    """The message was not accepted by the mail server."""


class TemporaryFailure(MailFailure):
    """Try again later. ``server``: the server or the connection failed, not this message."""

    def __init__(self, text: str, *, server: bool = True):
        super().__init__(text)
        self.server = server


class PermanentFailure(MailFailure):
    """The server refused this message or recipient for good."""


@dataclass(frozen=True)
class Wire:
    """A built message as it goes over the wire (CRLF line ends), with its envelope recipient."""

    recipient: str
    message_id: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """A rendered message for one CRM user."""

    to_name: str
    to_address: str
    subject: str
    text: str
    html: str
    message_id: str  # with angle brackets: <followup-42-due-20261127@example.nl>


# --- addresses and identifiers ----------------------------------------------------------


def sender() -> tuple[str, str]:
    """(display name, address) of ``MAIL_FROM``."""
    return _parsed_address(current_app.config["MAIL_FROM"])


@lru_cache(maxsize=8)
def _parsed_address(value: str) -> tuple[str, str]:
    return parseaddr(value)


def message_domain() -> str:
    """The domain for Message-IDs and calendar UIDs: MAIL_FROM's, else BASE_URL's host."""
    address = sender()[1]
    domain = address.rpartition("@")[2].lower()
    if "." in domain:
        return domain
    host = (urlsplit(current_app.config["BASE_URL"]).hostname or "").lower()
    if "." in host and not re.fullmatch(r"[0-9.]+", host):
        return host
    return FALLBACK_DOMAIN


def make_message_id(local_part: str) -> str:
    return f"<{local_part}@{message_domain()}>"


def absolute_url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


# --- building ---------------------------------------------------------------------------


def build(outgoing: Outgoing) -> Message:
    """multipart/alternative: text first, then HTML; UTF-8, quoted-printable.

    Built with the classic ``email.mime`` classes: the ``EmailMessage`` API parses every
    header through its header registry, which costs more than the rest of a send together.
    The boundary starts with "=", which quoted-printable parts cannot contain at the start of
    a line (they write "=3D"), so it needs no search through the text (the library's own
    search compiled a new regular expression for every message)."""
    name, address = sender()
    message = MIMEMultipart("alternative", boundary=f"{'=' * 15}{secrets.token_hex(10)}==")
    message["From"] = formataddr((name or "Werkgeverscrm", address))
    message["To"] = formataddr((outgoing.to_name, outgoing.to_address))
    message["Subject"] = (
        Header(outgoing.subject, "utf-8").encode() if not outgoing.subject.isascii() else outgoing.subject
    )
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = outgoing.message_id
    # An automatic message (RFC 3834): no out-of-office replies to it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    # typeshed allows only a charset name; MIMEText also takes a Charset (here: UTF-8 quoted-printable).
    message.attach(MIMEText(outgoing.text, "plain", _UTF8_QP))  # type: ignore[arg-type]
    message.attach(MIMEText(outgoing.html, "html", _UTF8_QP))  # type: ignore[arg-type]
    return message


# --- delivering -------------------------------------------------------------------------


def as_bytes(message: Message) -> bytes:
    """The message as it goes over the wire: CRLF line ends."""
    return message.as_bytes(policy=_WIRE)


def wire(message: Message) -> Wire:
    """Turn a built message into bytes once (e.g. before a send takes its row lock)."""
    return Wire(parseaddr(message["To"])[1], message["Message-ID"], as_bytes(message))


def deliver(message: Message | Wire) -> None:
    """Hand the message to the configured transport; raises a ``MailFailure`` if not accepted."""
    ready = message if isinstance(message, Wire) else wire(message)
    config = current_app.config
    if config.get("SMTP_HOST"):
        _deliver_smtp(ready)
    elif config.get("MAIL_OUTBOX_DIR"):
        _deliver_to_folder(ready, Path(config["MAIL_OUTBOX_DIR"]))
    else:  # kept as parsed back from the wire format, as a mail client would see it
        parsed = message_from_bytes(ready.data, policy=email_policy.default)
        current_app.extensions.setdefault("crm_mail_outbox", []).append(parsed)


def memory_outbox() -> list[EmailMessage]:
    """The messages kept in memory (no SMTP host and no outbox folder: the unit tests)."""
    return current_app.extensions.setdefault("crm_mail_outbox", [])


def outbox_filename(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip("<>")) + ".eml"


def _deliver_to_folder(message: Wire, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / outbox_filename(message.message_id)
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=".tmp-", delete=False) as handle:
            handle.write(message.data)
        os.replace(handle.name, target)  # atomic: a reader never sees half a message
    except OSError as error:
        raise TemporaryFailure(f"Outbox folder {folder}: {error}") from error


@dataclass
class _Pooled:
    smtp: smtplib.SMTP
    last_used: float


_pool: dict[tuple, _Pooled] = {}


def _settings_key() -> tuple:
    config = current_app.config
    return (
        config["SMTP_HOST"],
        int(config["SMTP_PORT"]),
        config.get("SMTP_USER") or "",
        bool(config.get("SMTP_STARTTLS")),
        os.getpid(),  # a forked worker child never shares its parent's socket
    )


def _open(key: tuple) -> smtplib.SMTP:
    config = current_app.config
    host, port, user, starttls, _pid = key
    smtp = smtplib.SMTP(host, port, timeout=config.get("SMTP_TIMEOUT", 10))
    try:
        smtp.ehlo()
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if user:
            smtp.login(user, config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _connection() -> smtplib.SMTP:
    key = _settings_key()
    pooled = _pool.get(key)
    now = time.monotonic()
    if pooled is not None:
        idle = now - pooled.last_used
        if idle > MAX_IDLE:
            discard_connection()
        elif idle > CHECK_AFTER_IDLE:
            try:
                code, _ = pooled.smtp.noop()
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                discard_connection()
            else:
                return pooled.smtp
        else:
            return pooled.smtp
    smtp = _open(key)
    _pool[key] = _Pooled(smtp, now)
    return smtp


def discard_connection() -> None:
    """Close this process's pooled SMTP connection (after an error, or at shutdown)."""
    for key in [k for k in _pool if k[-1] == os.getpid()]:
        pooled = _pool.pop(key)
        try:
            pooled.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pooled.smtp.close()


def warm_up() -> TemporaryFailure | None:
    """Open (or check) the SMTP connection before a send takes its row lock, so the lock is
    held for the MAIL/RCPT/DATA exchange only. Returns the failure when the server cannot be
    reached (then nothing should be offered to it), else None."""
    if not current_app.config.get("SMTP_HOST"):
        return None
    try:
        _connection()
    except smtplib.SMTPResponseException as error:  # HELO, STARTTLS or login refused
        discard_connection()
        return TemporaryFailure(f"{error.smtp_code} {_decode(error.smtp_error)}")
    except (smtplib.SMTPException, OSError) as error:  # refused, timed out, hung up, TLS
        discard_connection()
        return TemporaryFailure(f"{type(error).__name__}: {error}")
    return None


def _deliver_smtp(message: Wire) -> None:
    envelope_from = sender()[1]
    try:
        smtp = _connection()
        smtp.sendmail(envelope_from, [message.recipient], message.data)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _reply in error.recipients.values()]
        # One recipient per message: the reply alone (the address stays out of logs and the audit).
        text = "; ".join(f"{code} {_decode(reply)}" for code, reply in error.recipients.values())
        _keep_or_discard(smtp, closing=421 in codes)
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentFailure(text) from error
        raise TemporaryFailure(text, server=421 in codes) from error
    except smtplib.SMTPDataError as error:
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
        _keep_or_discard(smtp, closing=error.smtp_code == 421)
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure(text) from error
        raise TemporaryFailure(text, server=error.smtp_code == 421) from error
    except smtplib.SMTPResponseException as error:
        # Sender refused, HELO or login refused: the installation's settings, not this message.
        # Retried with backoff (an admin can fix it), up to the maximum number of attempts.
        discard_connection()
        raise TemporaryFailure(f"{error.smtp_code} {_decode(error.smtp_error)}") from error
    except (smtplib.SMTPException, OSError) as error:  # refused, timed out, hung up, TLS
        discard_connection()
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    pooled = _pool.get(_settings_key())
    if pooled is not None:
        pooled.last_used = time.monotonic()


def _keep_or_discard(smtp: smtplib.SMTP, *, closing: bool) -> None:
    """After the server refused one message: smtplib has sent RSET, and the connection can
    carry the next message, unless the server is closing it (421) or it is gone."""
    if closing or smtp.sock is None:
        discard_connection()
        return
    pooled = _pool.get(_settings_key())
    if pooled is not None:
        pooled.last_used = time.monotonic()


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
