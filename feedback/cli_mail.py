"""`feedback smtpd`, `feedback outbox`, `feedback mail-sink` and `feedback mail`: the email channel's commands.

Each long-running command runs until SIGINT or SIGTERM and then stops cleanly, so `feedback run` (or a
service manager) can start and stop it like any other part.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from sqlalchemy import select

from feedback.cli import Context, main, pass_context, require_current_schema
from intake.outbound import OutboxSender
from intake.sink import MailSink
from intake.smtp import FeedbackHandler, Listener
from intake.worker import MailWorker
from store.actors import Actor
from store.db import transaction
from store.mailbox import counts_by_status, requeue
from store.models import InboundMail


def _until_signalled(stop: threading.Event) -> None:
    """Block until SIGINT or SIGTERM sets `stop`."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    stop.wait()


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@main.command()
@pass_context
def smtpd(ctx: Context) -> None:
    """Listen for email to the feedback addresses and turn each into a case."""
    _logging()
    app = ctx.app
    require_current_schema(app)
    worker = MailWorker(app.sessions, app.mail_processor())
    handler = FeedbackHandler(app.engine, app.settings.smtp, on_stored=worker.wake.set, now=app.service.now)
    listener = Listener(handler, app.settings.smtp)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="intake-worker", daemon=True)
    listener.start()
    thread.start()
    smtp = app.settings.smtp
    click.echo(f"SMTP listener on {smtp.host}:{smtp.port} for {', '.join(smtp.recipients)}")
    try:
        _until_signalled(stop)
    finally:
        stop.set()
        worker.wake.set()
        listener.stop()
        thread.join(timeout=30)


@main.group()
def outbox() -> None:
    """Outbound mail."""


@outbox.command("send")
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
@pass_context
def outbox_send(ctx: Context, once: bool) -> None:
    """Deliver queued mail through the relay, with retries and back-off."""
    _logging()
    app = ctx.app
    require_current_schema(app)
    sender = OutboxSender(app.sessions, app.settings.mail, now=app.service.now)
    if once:
        click.echo(f"sent {sender.send_due()}")
        return
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), name="outbox-sender", daemon=True)
    thread.start()
    _until_signalled(stop)
    thread.join(timeout=30)


@main.command("mail-sink")
@pass_context
def mail_sink(ctx: Context) -> None:
    """A stand-in for the council's relay: keeps every message it is sent under mail.sink_directory."""
    _logging()
    mail = ctx.app.settings.mail
    sink = MailSink(mail.sink_directory, host=mail.relay.host, port=mail.relay.port)
    sink.start()
    click.echo(f"mail sink on {mail.relay.host}:{mail.relay.port}, writing to {mail.sink_directory}")
    try:
        _until_signalled(threading.Event())
    finally:
        sink.stop()


@main.group()
def mail() -> None:
    """Received email: what is queued, set aside or quarantined, and re-processing."""


@mail.command("list")
@click.option("--status", type=click.Choice(["received", "processed", "ignored", "quarantined"]))
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@pass_context
def mail_list(ctx: Context, status: str | None, limit: int) -> None:
    """Received messages, newest first (no senders or bodies: open the case for those)."""
    with transaction(ctx.app.sessions) as session:
        click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts_by_status(session).items())) or "no mail yet")
        query = select(InboundMail).order_by(InboundMail.id.desc()).limit(limit)
        if status:
            query = query.where(InboundMail.status == status)
        for inbound in session.scalars(query):
            error = f"  {inbound.last_error[:100]}" if inbound.last_error else ""
            received = f"{inbound.received_at:%Y-%m-%d %H:%M}"
            click.echo(f"{inbound.id:8} {inbound.status:11} {inbound.size:9} bytes  {received}{error}")


@mail.command("requeue")
@click.argument("mail_id", type=int)
@pass_context
def mail_requeue(ctx: Context, mail_id: int) -> None:
    """Put a quarantined message back in the queue for the worker (after fixing what made it fail)."""
    with transaction(ctx.app.sessions) as session:
        try:
            requeue(session, mail_id, Actor.system("cli"))
        except LookupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"message {mail_id} queued again; the SMTP worker will pick it up")
