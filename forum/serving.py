"""Serving with gevent: the WSGI handler used by ``python app.py``."""

from __future__ import annotations

import logging
import re
from types import TracebackType
from typing import Any

from gevent import GreenletExit, pywsgi

log = logging.getLogger(__name__)

_INVITE_TOKEN = re.compile(r"(/invite/)[^/\s?\"]+")
# What a line about one client may not keep (docs/privacy.md): its address, in any of the forms gevent and
# Python print them (IPv4, IPv6, with or without a port, as a tuple).
_ADDRESS = re.compile(
    r"\(\s*'[^']*'\s*,\s*\d+(?:\s*,\s*\d+)*\s*\)"  # ('127.0.0.1', 51234) and IPv6 tuples
    r"|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"  # 127.0.0.1[:51234]
    r"|\[?(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\]?(?::\d+)?"  # full IPv6
    r"|\[?(?<![\w:])(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?\]?"
    r"(?::\d+)?"  # compressed IPv6: ::1, fe80::1, [2001:db8::1]:443 (times such as 12:30:45 have no "::")
)


def scrub(line: str) -> str:
    """A log line without client addresses or invitation tokens."""
    return _ADDRESS.sub("[client]", _INVITE_TOKEN.sub(r"\1[token]", line))


class ForumWSGIHandler(pywsgi.WSGIHandler):
    """pywsgi's handler, except that a connection ends when its WebSocket ends, and neither the access log
    nor the error log records addresses or invitation tokens.

    The WebSocket library answers the upgrade on the raw socket, so pywsgi never sees a response
    and would otherwise try to read the client's closing frame as a new HTTP request.
    """

    def format_request(self) -> str:
        """The access-log line without the client's address (docs/privacy.md) or invitation tokens."""
        line = super().format_request()
        line = "-" + line[line.index(" - - [") :] if " - - [" in line else line
        return scrub(line)

    def log_error(self, msg: str, *args: Any) -> None:
        """pywsgi's error lines (a malformed request line, a bad header) without the socket or the client's
        address it names by default."""
        shown = tuple("[client]" if arg is self.client_address else arg for arg in args)
        try:
            message = msg % shown if shown else msg
        except (TypeError, ValueError):
            message = msg
        self.server.error_log.write(scrub(message) + "\n")

    def _log_error(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        """An unexpected error while serving, logged with the request's method and path (scrubbed), never
        with the WSGI environ gevent prints by default (it holds the address, cookies and tokens)."""
        if issubclass(kind, GreenletExit):
            return
        environ = self.environ or {}
        where = scrub(f"{environ.get('REQUEST_METHOD', '-')} {environ.get('PATH_INFO', '-')}")
        log.error("error while serving %s: %s", where, scrub(repr(error)), exc_info=(kind, error, trace))

    def run_application(self) -> None:
        super().run_application()
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True
