"""PDF export: the record's print page rendered by WeasyPrint, with static files read from disk."""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

from forum import PROJECT_ROOT
from forum.errors import DomainError

STATIC_ROOT = (PROJECT_ROOT / "static").resolve()


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


def render_pdf(html: str, base_url: str) -> bytes:
    """PDF bytes for an HTML page; a clear 503 when the server lacks WeasyPrint's system libraries."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"PDF export is not available on this server ({error.__class__.__name__}: {error}). "
            "The HTML, Markdown, text and JSON versions are."
        ) from None
    return HTML(string=html, base_url=base_url, url_fetcher=_static_fetcher()).write_pdf()
