"""QR codes for the projector, drawn as SVG by segno (no image library needed)."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_svg_data_uri(url: str) -> str:
    """A ``data:`` URI of an SVG QR code for ``url``, dark on light, with a quiet zone."""
    return segno.make(url, error="m").svg_data_uri(scale=10, border=2, dark="#111111", light="#ffffff")
