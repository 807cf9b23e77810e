"""The archive: published records to browse, search, cite and export."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from forum import rate_limits
from forum.access import Actor, audience_actor
from forum.archive import comments, formats, language, search
from forum.archive.document import panelist as find_panelist
from forum.archive.pdf import PdfCache, render_pdf
from forum.captions import exports as caption_exports
from forum.db import get_session
from forum.fields import without_forbidden_characters
from forum.i18n import in_language
from forum.models import Event, TranscriptVersion
from forum.publishing import publishing
from forum.publishing.record import delivery_label
from forum.web import audience_token_hash, form_action, request_network_key

bp = Blueprint("archive", __name__, url_prefix="/archive")
# `speaking(code)` and the record's date filters, for every template that shows a record (the organizer's
# preview too).
bp.record_once(lambda state: language.init_app(state.app))

FORMAT = "any(md,txt,json,pdf,vtt,srt)"
# Versions never change, but unpublishing must hide them, so no cache may keep them for long.
PINNED = "public, max-age=3600"
# The verbatim captions of a record published with them, as subtitle files.
SUBTITLES = {"vtt": caption_exports.webvtt_document, "srt": caption_exports.srt_document}
CURRENT = "public, max-age=300"


@bp.context_processor
def _delivery_labels() -> dict[str, Any]:
    """The label each answer carries ("said in the session", "written answer"), read from the document."""
    return {"delivery_label": delivery_label}


def _export(content: dict[str, Any], fmt: str, key: str | None, pdf: bytes | None = None) -> Response:
    if fmt in SUBTITLES:
        cues = caption_exports.document_cues(content, key)
        if cues is None:
            abort(404)
        body: bytes | str = SUBTITLES[fmt](cues)
    elif fmt == "pdf":
        body = pdf or b""
    elif fmt == "md":
        body = formats.markdown_panelist(content, key) if key else formats.markdown_full(content)
    elif fmt == "txt":
        body = formats.text_panelist(content, key) if key else formats.text_full(content)
    else:
        body = formats.json_full(content) if key is None else formats.json_panelist(content, key)
    response = Response(body, mimetype=formats.MEDIA_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = formats.MEDIA_TYPES[fmt]
    stem = content["event"]["slug"] + (f"-{key}" if key else "") + f"-v{content['version']['number']}"
    disposition = "attachment" if fmt in {"pdf", *SUBTITLES} else "inline"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(stem)}.{fmt}"
    return response


def _pdf(
    template: str,
    context: dict[str, Any],
    content: dict[str, Any],
    key: str | None,
    version: TranscriptVersion,
) -> bytes:
    """The PDF of one published view: counted against the reader's network, made once per version (and the
    newest version it mentions) and kept (see PdfCache)."""
    rate_limits.enforce("pdf", request_network_key())
    cache = PdfCache(Path(current_app.instance_path) / "pdf-cache")
    cache_key = (
        f"{version.event_id}/{version.number}/{key or ''}/{context['latest_number']}/{request.url_root}"
    )
    if (kept := cache.get(cache_key)) is not None:
        return kept
    # A PDF is the record alone, so all of it (page title and notices too) is in the event's language.
    with in_language(content["event"].get("language")):
        html = render_template(template, ui=language.current_language(), **context)
    made = render_pdf(html, request.url_root)
    cache.put(cache_key, made)
    return made


def _quote(value: str) -> str:
    return quote(value, safe="")


def _page(
    event: Event,
    version: TranscriptVersion,
    *,
    key: str | None,
    fmt: str | None,
    printing: bool = False,
    pinned: bool = False,
) -> Response:
    content = version.content
    if key is not None and find_panelist(content, key) is None:
        abort(404)
    latest = publishing.latest_version(get_session(), event.id)
    if fmt and fmt != "pdf":
        response = _export(content, fmt, key)
    else:
        context = dict(
            record=content,
            event=event,
            key=key,
            person=find_panelist(content, key) if key else None,
            latest_number=latest.number if latest else version.number,
            pinned=pinned,
            printing=printing or fmt == "pdf",
            comments=comments.visible_by_anchor(get_session(), event.id) if not pinned and not fmt else {},
            comments_enabled=event.comments_enabled
            and not pinned
            and not current_app.config.get("STATIC_EXPORT"),
            form_client_id=secrets.token_hex(12),
        )
        template = "archive/panelist.html" if key else "archive/record.html"
        if fmt == "pdf":
            response = _export(content, "pdf", key, _pdf(template, context, content, key, version))
        else:
            response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Cache-Control"] = PINNED if pinned else CURRENT
    return response


@bp.get("/<slug>")
@bp.get(f"/<slug>.<{FORMAT}:fmt>")
def record(slug: str, fmt: str | None = None) -> Response:
    event, version = publishing.readable_version(get_session(), slug)
    return _page(event, version, key=None, fmt=fmt)


@bp.get("/<slug>/panelists/<key>")
@bp.get(f"/<slug>/panelists/<key>.<{FORMAT}:fmt>")
def panelist_record(slug: str, key: str, fmt: str | None = None) -> Response:
    event, version = publishing.readable_version(get_session(), slug)
    return _page(event, version, key=key, fmt=fmt)


@bp.get("/<slug>/versions/<id:number>")
@bp.get(f"/<slug>/versions/<id:number>.<{FORMAT}:fmt>")
def version_record(slug: str, number: int, fmt: str | None = None) -> Response:
    event, version = publishing.readable_version(get_session(), slug, number)
    return _page(event, version, key=None, fmt=fmt, pinned=True)


@bp.get("/<slug>/versions/<id:number>/panelists/<key>")
@bp.get(f"/<slug>/versions/<id:number>/panelists/<key>.<{FORMAT}:fmt>")
def version_panelist_record(slug: str, number: int, key: str, fmt: str | None = None) -> Response:
    event, version = publishing.readable_version(get_session(), slug, number)
    return _page(event, version, key=key, fmt=fmt, pinned=True)


@bp.get("/<slug>/versions")
def versions(slug: str) -> str:
    session = get_session()
    event = publishing.published_event(session, slug)
    return render_template(
        "archive/versions.html", event=event, versions=publishing.versions(session, event.id)
    )


@bp.get("/")
def index() -> str:
    host, panelist, year = (request.args.get(k, "").strip() for k in ("host", "panelist", "year"))
    listing = publishing.archive_listing(get_session(), host=host, panelist=panelist, year=year)
    return render_template(
        "archive/index.html",
        events=listing.events,
        panel=listing.panel,
        hosts=listing.hosts,
        panelists=listing.panelists,
        years=[str(y) for y in listing.years],
        chosen={"host": host, "panelist": panelist, "year": year},
    )


@bp.get("/search")
def search_page() -> str:
    query = request.args.get("q", "").strip()[:200]
    hits = search.search(get_session(), query) if query else []
    return render_template("archive/search.html", query=query, hits=hits)


@bp.get("/feed.atom")
def feed() -> Response:
    entries = publishing.latest_versions(get_session(), limit=50)
    updated = entries[0][1].published_at if entries else None
    xml = render_template("archive/feed.xml", entries=entries, updated=updated)
    # Text stored before input was cleaned of them may still hold characters XML forbids: one would make the
    # whole feed unreadable, so none leaves here.
    return Response(without_forbidden_characters(xml), mimetype="application/atom+xml")


def _reader(event: Event) -> Actor:
    """A reader commenting or reporting: identified like the audience, by the browser's random token."""
    return audience_actor(
        event,
        audience_token_hash(),
        request_network_key(),
    )


def _anchors(content: dict[str, Any]) -> set[str]:
    return {item["anchor"] for q in content["questions"] for item in q["contributions"]}


@bp.post("/<slug>/comments")
def post_comment(slug: str) -> Response:
    session = get_session()
    event, version = publishing.readable_version(session, slug)
    anchor = request.form.get("anchor", "")
    reader, form = _reader(event), request.form
    return form_action(
        lambda: comments.post(
            session,
            reader,
            anchor=anchor,
            anchors=_anchors(version.content),
            text=form.get("text"),
            display_name=form.get("display_name"),
            client_id=form.get("client_id"),
        ),
        done=_("Thank you — your comment is posted."),
        back=url_for(".record", slug=slug) + f"#{anchor}",
    )


@bp.post("/<slug>/comments/<id:comment_id>/report")
def report_comment(slug: str, comment_id: int) -> Response:
    session = get_session()
    event, _version = publishing.readable_version(session, slug)
    reader, client_id = _reader(event), request.form.get("client_id")
    return form_action(
        lambda: comments.report(session, reader, comment_id, client_id),
        done=_("Thank you — the organizer will look at it."),
        back=url_for(".record", slug=slug) + f"#comment-{comment_id}",
    )
