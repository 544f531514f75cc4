"""flask commands: reference data, the demo, the first admin, email, reminders, storage sweep."""

from __future__ import annotations

import logging
import time
from datetime import UTC, timedelta

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from qa_portal import clock, outbox, storage
from qa_portal.accounts import services as accounts
from qa_portal.accounts.models import Role
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from qa_portal.frameworks.services import load_default_framework
from qa_portal.partnerships.services import load_reference
from qa_portal.providers import services as providers
from qa_portal.providers.models import ComplianceItem
from qa_portal.providers.reference import load_register_reference
from qa_portal.visits.models import Photo, Visit

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    for command in (
        load_reference_command,
        seed_demo_command,
        send_email_command,
        create_admin_command,
        send_reminders_command,
        storage_sweep_command,
    ):
        app.cli.add_command(command)


@click.command("load-reference")
def load_reference_command() -> None:
    """Load partnerships and schools, vocational areas and the default compliance documents."""
    partnerships, schools = load_reference()
    areas, kinds = load_register_reference()
    load_default_framework()
    db.session.commit()
    click.echo(
        f"Added {partnerships} partnerships, {schools} schools, {areas} vocational areas "
        f"and {kinds} kinds of compliance document."
    )


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the synthetic demo data set and print the demo sign-ins."""
    from qa_portal import demo  # only this command needs the seeder and its data

    try:
        created = demo.seed()
    except demo.DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("Demo data created." if created else "Demo data already present: kept as it is.")
    click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role in demo.demo_logins():
        click.echo(f"  {email:32} {role}")


@click.command("send-email")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between rounds with --loop.",
)
def send_email_command(loop: bool, interval: float) -> None:
    """Deliver queued email once (from cron), or keep delivering with --loop (a service)."""
    if not loop:
        click.echo(f"Sent {_deliver_round()} email(s).")
        return
    log.info("Delivering email every %s s", interval)
    try:
        while True:
            try:
                _deliver_round()
            except SQLAlchemyError as exc:  # the database is away: try again next round
                db.session.rollback()
                log.warning("email not delivered this round: %s", exc)
            db.session.remove()
            time.sleep(interval)
    except KeyboardInterrupt:
        log.info("Email delivery stopped")


def _deliver_round() -> int:
    """Turn recorded password reset requests into email, then deliver what is due."""
    for request_id in accounts.pending_reset_requests():
        accounts.handle_reset_request(request_id)
        db.session.commit()
    accounts.forget_old_reset_requests()
    db.session.commit()
    return outbox.deliver_all()


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create the first administrator of a new installation."""
    try:
        user = accounts.create_user(None, email=email, name=name, role=Role.ADMIN)
        accounts.set_password(user, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("send-reminders")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD).",
)
def send_reminders_command(on) -> None:
    """Queue compliance expiry reminders (run daily from cron); each is sent once."""
    today = on.date() if on else clock.today()
    queued = providers.send_reminders(today)
    db.session.commit()
    click.echo(f"Queued {queued} reminder email(s) for {today.isoformat()}.")


# Every column that holds a storage key, and the folders the portal stores objects under.
STORAGE_KEY_COLUMNS = (
    Photo.image_key,
    Photo.thumbnail_key,
    ComplianceItem.document_key,
    Contract.document_key,
    Visit.report_key,
)
STORED_OBJECT_FOLDERS = ("providers", "visits", "contracts")


@click.command("storage-sweep")
@click.option(
    "--older-than-minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Leave alone anything written more recently (it may belong to a request under way).",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def storage_sweep_command(older_than_minutes: int, dry_run: bool) -> None:
    """Remove stored objects no record refers to, and unfinished uploads (run hourly)."""
    referenced = {
        key
        for column in STORAGE_KEY_COLUMNS
        for key in db.session.scalars(select(column).where(column.is_not(None)))
    }
    try:
        swept = storage.sweep(
            storage.get_storage(),
            referenced,
            folders=STORED_OBJECT_FOLDERS,
            older_than=timedelta(minutes=older_than_minutes),
            dry_run=dry_run,
        )
    except storage.StorageError as exc:
        raise click.ClickException(f"The storage could not be swept: {exc}") from exc
    verb = "Would remove" if dry_run else "Removed"
    for item in swept:
        what = "unfinished upload" if item.unfinished else "object"
        click.echo(
            f"{verb} {what} {item.key} (written {item.modified.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
        )
    click.echo(f"{verb} {len(swept)} stored object(s) that no record refers to.")
