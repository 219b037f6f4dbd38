"""Handing mail to the server: a real SMTP server on loopback (aiosmtpd), the outbox folder of
the embedded default, and how refusals are told apart (temporary vs permanent)."""

from __future__ import annotations

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from crm.lib import mail


class Sink:
    """Accepts mail, or answers with ``reply`` when set (e.g. '550 5.1.1 User unknown')."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.sessions: set[int] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.sessions.add(id(session))
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sink(app):
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_OUTBOX_DIR")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_OUTBOX_DIR=None)
    try:
        yield handler
    finally:
        with app.app_context():
            mail.discard_connection()
        controller.stop()
        app.config.update(saved)


def outgoing(n: int = 1, to: str = "anouk@uwv.example") -> mail.Outgoing:
    return mail.Outgoing(
        to_name="Anouk de Vries",
        to_address=to,
        subject=f"Opvolgactie vandaag: bellen met Bakkerij {n}",
        text=f"Beste Anouk,\n\nBellen met Bakkerij {n}.\n",
        html=f"<p>Beste Anouk,</p><p>Bellen met Bakkerij {n}.</p>",
        message_id=f"<followup-{n}-due-20261126@werkgeverscrm.local>",
    )


def test_mail_reaches_the_smtp_server_with_text_and_html(app, sink):
    with app.app_context():
        mail.deliver(mail.build(outgoing()))
    (message,) = sink.messages
    assert message["Message-ID"] == "<followup-1-due-20261126@werkgeverscrm.local>"
    assert message["To"] == "Anouk de Vries <anouk@uwv.example>"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.get_payload()] == ["text/plain", "text/html"]


def test_one_connection_carries_a_batch(app, sink):
    with app.app_context():
        for n in range(5):
            mail.deliver(mail.build(outgoing(n)))
    assert len(sink.messages) == 5
    assert len(sink.sessions) == 1


def test_unknown_recipient_is_a_permanent_failure(app, sink):
    sink.rcpt_reply = "550 5.1.1 User unknown"
    with app.app_context(), pytest.raises(mail.PermanentFailure, match="550"):
        mail.deliver(mail.build(outgoing(to="vertrokken@gemeente.example")))
    assert sink.messages == []


def test_a_busy_server_is_a_temporary_failure_and_the_next_try_works(app, sink):
    sink.data_reply = "421 4.3.2 Service not available, try again later"
    with app.app_context():
        with pytest.raises(mail.TemporaryFailure, match="421"):
            mail.deliver(mail.build(outgoing()))
        sink.data_reply = None
        mail.deliver(mail.build(outgoing()))
    assert len(sink.messages) == 1


def test_refused_connection_is_a_temporary_failure(app):
    saved = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nobody listens there
    try:
        with app.app_context(), pytest.raises(mail.TemporaryFailure, match="Connection ?refused|Errno 111"):
            mail.deliver(mail.build(outgoing()))
    finally:
        app.config["SMTP_HOST"], app.config["SMTP_PORT"] = saved


def test_embedded_default_writes_one_eml_file_per_message(app, tmp_path):
    saved = app.config["SMTP_HOST"], app.config["MAIL_OUTBOX_DIR"]
    app.config.update(SMTP_HOST="", MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    try:
        with app.app_context():
            mail.deliver(mail.build(outgoing(7)))
            mail.deliver(mail.build(outgoing(7)))  # the same message again: the same file
            mail.deliver(mail.build(outgoing(8)))
    finally:
        app.config["SMTP_HOST"], app.config["MAIL_OUTBOX_DIR"] = saved
    files = sorted(path.name for path in (tmp_path / "outbox").iterdir())
    assert files == [
        "followup-7-due-20261126@werkgeverscrm.local.eml",
        "followup-8-due-20261126@werkgeverscrm.local.eml",
    ]
    stored = email.message_from_bytes((tmp_path / "outbox" / files[0]).read_bytes())
    assert stored["Subject"] == "Opvolgactie vandaag: bellen met Bakkerij 7"
    assert b"\r\n" in (tmp_path / "outbox" / files[0]).read_bytes()


def test_message_domain_comes_from_mail_from_or_base_url(app):
    saved = app.config["MAIL_FROM"], app.config["BASE_URL"]
    try:
        with app.app_context():
            app.config.update(MAIL_FROM="Werkgeverscrm <crm@leerwerkakkoord-twente.nl>")
            assert mail.make_message_id("x") == "<x@leerwerkakkoord-twente.nl>"
            app.config.update(MAIL_FROM="crm@localhost", BASE_URL="https://crm.example.nl")
            assert mail.message_domain() == "crm.example.nl"
            app.config.update(BASE_URL="http://127.0.0.1:5000")
            assert mail.message_domain() == "werkgeverscrm.local"
    finally:
        app.config["MAIL_FROM"], app.config["BASE_URL"] = saved
