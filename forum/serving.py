"""Serving with gevent: the WSGI handler used by ``python app.py``."""

from __future__ import annotations

import re

from gevent import pywsgi

_INVITE_TOKEN = re.compile(r"(/invite/)[^/\s?\"]+")


class ForumWSGIHandler(pywsgi.WSGIHandler):
    """pywsgi's handler, except that a connection ends when its WebSocket ends, and the access log
    records neither addresses nor invitation tokens.

    The WebSocket library answers the upgrade on the raw socket, so pywsgi never sees a response
    and would otherwise try to read the client's closing frame as a new HTTP request.
    """

    def format_request(self) -> str:
        """The access-log line without the client's address (docs/privacy.md) or invitation tokens."""
        line = super().format_request()
        line = "-" + line[line.index(" - - [") :] if " - - [" in line else line
        return _INVITE_TOKEN.sub(r"\1[token]", line)

    def run_application(self) -> None:
        super().run_application()
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True
