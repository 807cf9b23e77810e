"""Export the archive as static files: every page and download a reader can reach, fetched through the
app itself so the files match the live site, plus the static assets. Dynamic parts (search, comments,
sign-in) are left out of the exported pages.

A static page cannot follow its reader's language, so each event's pages are fetched in the event's own
language (the whole page, navigation included); the archive's index and feed in the default language."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from forum import PROJECT_ROOT
from forum.archive.formats import FORMATS
from forum.captions.exports import has_verbatim
from forum.db import get_session
from forum.models import Event, EventStatus
from forum.publishing import publishing


def _formats(content: dict) -> tuple[str, ...]:
    """The downloads of one version: the subtitle files too when it was published with its captions."""
    return (*FORMATS, "vtt", "srt") if has_verbatim(content) else FORMATS


def _urls(app: Flask) -> list[tuple[str, str | None]]:
    """(path, language to ask for) of every file of the export."""
    with app.app_context():
        session = get_session()
        pages: list[tuple[str, str | None]] = [("/archive/", None), ("/archive/feed.atom", None)]
        for event in session.scalars(select(Event).where(Event.status == EventStatus.PUBLISHED)):
            urls: list[str] = []
            base = f"/archive/{event.slug}"
            latest = publishing.latest_version(session, event.id).content
            keys = [p["key"] for p in latest["panelists"]]
            formats = _formats(latest)
            urls += [base, *(f"{base}.{fmt}" for fmt in formats), f"{base}/versions"]
            for key in keys:
                urls += [f"{base}/panelists/{key}", *(f"{base}/panelists/{key}.{fmt}" for fmt in formats)]
            for version in publishing.versions(session, event.id):
                vbase = f"{base}/versions/{version.number}"
                formats = _formats(version.content)
                urls += [vbase, *(f"{vbase}.{fmt}" for fmt in formats)]
                for person in version.content["panelists"]:
                    key = person["key"]
                    urls += [
                        f"{vbase}/panelists/{key}",
                        *(f"{vbase}/panelists/{key}.{fmt}" for fmt in formats),
                    ]
            pages += [(url, event.language) for url in urls]
        return pages


def _target(directory: Path, url: str) -> Path:
    path = url.strip("/")
    if url.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
        return directory / path / "index.html"
    return directory / path


def export_site(app: Flask, directory: Path) -> int:
    """Write the archive into ``directory``; returns how many files were written."""
    directory.mkdir(parents=True, exist_ok=True)
    app.config["STATIC_EXPORT"] = True
    client = app.test_client()
    written = 0
    for url, language in _urls(app):
        # A fresh app context per page, as when serving: the CLI's own would otherwise be shared by every
        # request and keep the first page's language (Flask-Babel caches it there).
        with app.app_context():
            response = client.get(url, headers={"Accept-Language": language} if language else None)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} during the export")
        target = _target(directory, url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.get_data())
        written += 1
    static = directory / "static"
    shutil.copytree(PROJECT_ROOT / "static", static, dirs_exist_ok=True)
    written += sum(1 for p in static.rglob("*") if p.is_file())
    (directory / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=archive/">'
        '<title>Archive</title><a href="archive/">Archive</a>\n',
        encoding="utf-8",
    )
    return written + 1
