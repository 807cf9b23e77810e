"""The public archive: published records and their per-panelist views, versions, exports (``formats``,
``pdf``, ``static_site``), full-text search (``search``), the feed and reader comments (``comments``).
Every page and export is rendered from a stored record document (``document``, ``language``)."""
