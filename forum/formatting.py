"""Numbers as people read them on pages and in records: speaking times, poll shares.

A leaf module: it imports nothing from the project, so the archive, the live regions, the services and the
template filters all use these same functions. The browser's twins are in static/js/live/regions.js
(``duration`` and ``share``) and must mean the same.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_YOUTUBE = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}


def duration(seconds: float) -> str:
    """A length of time as "1:05" (minutes:seconds), or "1:02:03" from an hour on; rounded to the second."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def share(part: int, whole: int, *, places: int | None = None) -> int | float:
    """``part`` as a percentage of ``whole``, 0 when there is no whole (a poll nobody voted in).

    Without ``places``: a whole percentage, halves rounding up (5 of 8 is 63), as the live pages show it
    and as ``Math.floor(x + 0.5)`` does in the browser's twin. With ``places``: a float rounded by Python's
    ``round`` to that many decimals (1 of 3 is 33.3 with one), as the published record keeps shares.
    """
    if places is None:
        return int(100 * part / whole + 0.5) if whole else 0
    return round(100 * part / whole, places) if whole else 0.0


def watch_link(url: str, seconds: float) -> str:
    """``url`` at ``seconds``: YouTube's ``t`` parameter, otherwise a media fragment (``#t=``), which players
    of video and audio files and most hosting sites read."""
    at = max(0, int(seconds))
    parts = urlsplit(url)
    if parts.hostname in _YOUTUBE:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", f"{at}s"))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    return urlunsplit((*parts[:4], f"t={at}"))
