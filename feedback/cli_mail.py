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
from feedback.mail_channel import MailChannel
from intake.outbound import OutboxSender
from intake.sink import MailSink
from store.actors import Actor
from store.db import transaction
from store.mailbox import counts_by_status, requeue
from store.models import InboundMail


def until_signalled(stop: threading.Event) -> None:
    """Block until SIGINT or SIGTERM sets `stop`."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    stop.wait()


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@main.command()
@pass_context
def smtpd(ctx: Context) -> None:
    """Listen for email to the feedback addresses and turn each into a case (without the API)."""
    _run_channel(ctx, listen=True, send=False)


@main.group()
def outbox() -> None:
    """Outbound mail."""


@outbox.command("send")
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
@pass_context
def outbox_send(ctx: Context, once: bool) -> None:
    """Deliver queued mail through the relay, with retries and back-off."""
    if once:
        app = ctx.app
        require_current_schema(app)
        click.echo(f"sent {OutboxSender(app.sessions, app.settings.mail, now=app.service.now).send_due()}")
        return
    _run_channel(ctx, listen=False, send=True)


def _run_channel(ctx: Context, *, listen: bool, send: bool) -> None:
    configure_logging()
    require_current_schema(ctx.app)
    channel = MailChannel(ctx.app, listen=listen, send=send)
    for line in channel.start():
        click.echo(line)
    try:
        until_signalled(channel.stop_event)
    finally:
        channel.stop()


@main.command("mail-sink")
@pass_context
def mail_sink(ctx: Context) -> None:
    """A stand-in for the council's relay: keeps every message it is sent under mail.sink_directory."""
    configure_logging()
    mail = ctx.app.settings.mail
    sink = MailSink(mail.sink_directory, host=mail.relay.host, port=mail.relay.port)
    sink.start()
    click.echo(f"mail sink on {mail.relay.host}:{mail.relay.port}, writing to {mail.sink_directory}")
    try:
        until_signalled(threading.Event())
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
