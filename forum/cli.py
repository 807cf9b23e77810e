"""``flask --app app forum ...``: schema, demo data and accounts from the command line.

Each command is a boundary of its own: it calls services and commits once at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import PROJECT_ROOT, migrate
from forum.accounts import accounts
from forum.boundary import unit_of_work
from forum.db import get_db
from forum.errors import DomainError
from forum.models import Event, Organizer

forum_cli = AppGroup("forum", help="Debate forum administration.")

DEFAULT_SEED = PROJECT_ROOT / "seeds" / "open_net_telegram_panel.toml"


def _fail(error: DomainError) -> None:
    raise click.ClickException(error.message)


@forum_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    engine = get_db().engine
    migrate.upgrade(engine, revision)
    click.echo(f"Database is at revision {migrate.current_revision(engine)}.")


@forum_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
    engine = get_db().engine
    migrate.downgrade(engine, revision)
    click.echo(f"Database is at revision {migrate.current_revision(engine) or 'base'}.")


@forum_cli.command("migrate")
@click.option("-m", "--message", required=True, help="What the schema change is about.")
def migrate_command(message: str) -> None:
    """Write a new migration by comparing the models with the (upgraded) database."""
    migrate.make_revision(get_db().engine, message)


def _link_builder() -> Callable[..., str]:
    """Absolute links for printing: FORUM_PUBLIC_URL when set, else the address ``python app.py`` serves."""
    from flask import current_app

    config = current_app.config
    host = config.get("HOST") or "127.0.0.1"
    if host in {"0.0.0.0", "::", ""}:  # listening everywhere; this machine answers on the loopback address
        host = "127.0.0.1"
    base = config.get("PUBLIC_URL") or f"http://{host}:{config.get('PORT')}"
    adapter = current_app.url_map.bind("localhost", script_name=config.get("APPLICATION_ROOT") or "/")
    return lambda endpoint, **values: base.rstrip("/") + adapter.build(endpoint, values)


@forum_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only load the demo when the database holds no events.")
@click.option(
    "--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_SEED
)
def seed_command(if_empty: bool, path: Path) -> None:
    """Load the demo panel and its rehearsal (idempotent: events already loaded are left alone)."""
    from forum.demo import find_rehearsal, load_demo

    link = _link_builder()
    with unit_of_work() as session:
        if if_empty and session.scalar(select(Event.id).limit(1)) is not None:
            click.echo("The database already holds events; the demo was not loaded.")
            try:
                rehearsal = find_rehearsal(session, path)
            except DomainError:
                rehearsal = None  # the seed file is only consulted for links here; loading reports its errors
            if rehearsal is not None:
                click.echo(rehearsal.describe(link, _organizer_email(session, rehearsal.event_id)))
            return
        try:
            result = load_demo(session, path)
        except DomainError as error:
            _fail(error)
            return
    click.echo(result.describe(link))


def _organizer_email(session: Session, event_id: int) -> str:
    return (
        session.scalar(
            select(Organizer.email)
            .join(Event, Event.organizer_id == Organizer.id)
            .where(Event.id == event_id)
        )
        or "its organizer"
    )


@forum_cli.command("create-organizer")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_organizer_command(email: str, display_name: str, password: str) -> None:
    """Create an organizer account."""
    try:
        with unit_of_work() as session:
            organizer = accounts.register_organizer(
                session, email=email, display_name=display_name, password=password
            )
    except DomainError as error:
        _fail(error)
        return
    click.echo(f"Organizer {organizer.email} created.")


@forum_cli.command("set-password")
@click.argument("email")
@click.option("--password", help="New password; a random one is generated and printed when omitted.")
def set_password_command(email: str, password: str | None) -> None:
    """Set an organizer's password (for example the demo organizer's)."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        with unit_of_work() as session:
            organizer = session.scalar(select(Organizer).where(Organizer.email == email.strip().lower()))
            if organizer is None:
                raise click.ClickException(f"No organizer has the e-mail address {email}.")
            accounts.set_password(session, organizer, password)
    except DomainError as error:
        _fail(error)
        return
    click.echo(
        f"Password for {organizer.email} changed." + (f" New password: {password}" if generated else "")
    )


@forum_cli.command("purge-audience")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Days after an event ends (default: FORUM_AUDIENCE_RETENTION_DAYS, 30).",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
def purge_audience_command(days: int | None, dry_run: bool) -> None:
    """Remove unpublished audience content and audience tokens of events that ended long enough ago."""
    from flask import current_app

    from forum.audience.retention import purge_audience_data
    from forum.db import utcnow

    days = current_app.config["AUDIENCE_RETENTION_DAYS"] if days is None else days
    with unit_of_work() as session:
        report = purge_audience_data(session, utcnow(), days, dry_run=dry_run)
        if dry_run:
            session.rollback()
    click.echo(("Dry run — nothing removed. " if dry_run else "") + report.describe())


def init_app(app: Flask) -> None:
    app.cli.add_command(forum_cli)


@forum_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--organizer", "email", help="E-mail of the organizer who will own the draft (default: the only one)."
)
@click.option("--title", help="Title of the event (default: taken from the file).")
@click.option("--host", help="Host organisation (default: taken from the file).")
@click.option(
    "--date",
    "when",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    help="When the debate took place, e.g. 2024-11-23 or 2024-11-23T14:00.",
)
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of --date, e.g. Asia/Seoul.")
@click.option("--language", default="en", show_default=True)
@click.option("--speaker", help="Whose answers a panel summary holds, when the file does not say.")
@click.option("--moderator", help="Who moderates a speaker-labelled transcript (default: the first speaker).")
def import_command(
    path: Path,
    email: str | None,
    title: str | None,
    host: str | None,
    when,
    timezone: str,
    language: str,
    speaker: str | None,
    moderator: str | None,
) -> None:
    """Turn an existing record (numbered panel summary or speaker-labelled transcript) into a draft event."""
    from forum.events.importer import create_draft, detect_and_parse

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name} is not UTF-8 text.") from None
    try:
        with unit_of_work() as session:
            owners = list(session.scalars(select(Organizer).order_by(Organizer.id)))
            if email:
                owner = next((o for o in owners if o.email == email.strip().lower()), None)
                if owner is None:
                    raise click.ClickException(f"No organizer has the e-mail address {email}.")
            elif len(owners) == 1:
                owner = owners[0]
            else:
                raise click.ClickException("Say which organizer owns the draft with --organizer EMAIL.")
            parsed = detect_and_parse(text, speaker=speaker, moderator=moderator)
            event = create_draft(
                session,
                owner,
                parsed,
                title=title,
                host=host,
                when=when,
                timezone=timezone,
                language=language,
                source=path.name,
            )
            slug, event_id = event.slug, event.id
    except DomainError as error:
        _fail(error)
        return
    click.echo(
        f"Imported {path.name} ({parsed.layout} layout): {len(parsed.questions)} question(s), "
        f"{len(parsed.said)} contribution(s), {len(parsed.moderators) + len(parsed.panelists)} people."
    )
    for note in parsed.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Draft event {event_id} ('{slug}'): review it at /manage/{event_id}/record, then publish.")


@forum_cli.command("export-site")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url", help="Where the folder will be served (default FORUM_PUBLIC_URL), for absolute links."
)
def export_site_command(directory: Path, base_url: str | None) -> None:
    """Write every published record, with its exports and the archive, as static files."""
    from flask import current_app

    from forum.archive.static_site import export_site

    app = current_app._get_current_object()
    base_url = (base_url or app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise click.UsageError(
            "Say where the folder will be served, e.g. --base-url https://archive.example.org: the feed, "
            "citations and canonical links need an absolute address (or set FORUM_PUBLIC_URL)."
        )
    configured = app.config.get("PUBLIC_URL")
    app.config["PUBLIC_URL"] = base_url
    try:
        written = export_site(app, directory)
    finally:
        app.config["PUBLIC_URL"] = configured
    click.echo(f"Wrote {written} files to {directory}. Serve the folder with any web server.")


@forum_cli.command("captions-replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("link")
@click.option(
    "--speed", type=click.FloatRange(min=0.01), default=1.0, show_default=True, help="2 = twice as fast."
)
@click.option("--lang", "language", help="The captions' language tag, e.g. ko-KR.")
def captions_replay_command(file: Path, link: str, speed: float, language: str | None) -> None:
    """Post the captions of FILE (WebVTT, SRT, or plain text one line per caption) to the caption LINK in
    real time, as a captioner would: for rehearsals, demos and tests (docs/captions.md)."""
    from forum.captions import replay

    cues = replay.read_cues(file)
    try:
        for seq, cue in replay.replay(cues, link, speed=speed, language=language):
            who = f"{cue.speaker}: " if cue.speaker else ""
            click.echo(f"{seq:>5}  {cue.at:8.1f}s  {who}{cue.text}")
    except replay.ReplayError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(cues)} captions sent.")
