"""PDF export: the record's print page rendered by WeasyPrint, with static files read from disk."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask_babel import gettext as _

from forum import PROJECT_ROOT
from forum.errors import DomainError

STATIC_ROOT = (PROJECT_ROOT / "static").resolve()
T = TypeVar("T")

# WeasyPrint ignores `word-break: keep-all` and, following Unicode line breaking, would end a line between
# any two Hangul syllables, splitting Korean words. So each word holding Hangul is wrapped in a span that
# does not wrap (`.keep-word` in the print stylesheet); lines then break only between words. Words longer
# than a line could hold are left alone, so `overflow-wrap` can still break them.
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_HANGUL_WORD = re.compile(r"[^\s<>]*[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3][^\s<>]*")
_RAW_TEXT = {"script", "style", "title", "textarea"}
LONGEST_KEPT_WORD = 24


def keep_words_together(html: str) -> str:
    """The page with every Korean word of its body made unbreakable for the PDF's line breaking."""
    head, marker, body = html.partition("<body")
    if not marker:
        return html
    parts, raw = [], None
    for piece in _TAG_OR_TEXT.split(body):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            tag = name.group(1).lower() if name else ""
            if tag in _RAW_TEXT:
                raw = None if piece.startswith("</") else tag
            parts.append(piece)
        elif raw is None and piece:
            parts.append(
                _HANGUL_WORD.sub(
                    lambda m: (
                        f'<span class="keep-word">{m.group(0)}</span>'
                        if len(m.group(0)) <= LONGEST_KEPT_WORD
                        else m.group(0)
                    ),
                    piece,
                )
            )
        else:
            parts.append(piece)
    return head + marker + "".join(parts)


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    status = 503


def _static_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        """Serves /static/… from the project folder and data: URLs; refuses everything else, so an
        export never makes network requests."""

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if not path.startswith("/static/"):
                raise ValueError(f"not fetched while printing: {url}")
            target = (STATIC_ROOT / path.removeprefix("/static/")).resolve()
            if not target.is_relative_to(STATIC_ROOT) or not target.is_file():
                raise ValueError(f"no such static file: {path}")
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": mime})

    return StaticFetcher(fail_on_errors=False)


class PdfCache:
    """Rendered PDFs on disk, one file per key. A published version never changes, so its PDF is made once
    (per panelist view and per newer version it points to) and then read back; every process on the host
    shares the folder. Files are written whole (a temporary file renamed into place)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._path(key)
        with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".part", delete=False) as part:
            part.write(data)
        os.replace(part.name, target)


_workers: Any = None


def off_the_event_loop(work: Callable[[], T]) -> T:
    """Run CPU-heavy ``work`` without stalling other requests. Under gevent (``python app.py``) it runs in
    one real worker thread, so the event loop keeps serving between the GIL's switches and renders queue
    instead of piling up; elsewhere (threads, tests) it simply runs."""
    global _workers
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    if _workers is None:
        from gevent.threadpool import ThreadPool

        _workers = ThreadPool(1)
    return _workers.apply(work)


def load_weasyprint() -> Any:
    """WeasyPrint's HTML class, imported on the calling thread (its import starts a subprocess, which gevent
    allows only on the main loop); ``python app.py`` calls this once before serving, so no reader waits for
    it. An ImportError or OSError means the system lacks its libraries."""
    from weasyprint import HTML

    return HTML


def render_pdf(html: str, base_url: str) -> bytes:
    """PDF bytes for an HTML page; a clear 503 when the server lacks WeasyPrint's system libraries.

    The heavy part runs off the event loop: the pass that keeps Korean words together and the layout."""
    try:
        html_class = load_weasyprint()
    except (ImportError, OSError) as error:
        reason = f"{error.__class__.__name__}: {error}"
        raise PdfUnavailable(
            _(
                "PDF export is not available on this server (%(reason)s). "
                "The HTML, Markdown, text and JSON versions are.",
                reason=reason,
            )
        ) from None

    def work() -> bytes:
        page = keep_words_together(html)
        return html_class(string=page, base_url=base_url, url_fetcher=_static_fetcher()).write_pdf()

    return off_the_event_loop(work)
