"""Numbers as people read them on pages and in records: speaking times, poll shares.

A leaf module: it imports nothing from the project, so the archive, the live regions, the services and the
template filters all use these same functions. The browser's twins are in static/js/live/regions.js
(``duration`` and ``share``) and must mean the same.
"""

from __future__ import annotations


def duration(seconds: float) -> str:
    """A length of time as "1:05" (minutes:seconds), or "1:02:03" from an hour on; rounded to the second."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
