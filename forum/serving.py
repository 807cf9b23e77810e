"""Serving with gevent: the listening socket, the WSGI server and its handler used by ``python app.py``."""

from __future__ import annotations

import gc
import logging
import re
import socket
from types import TracebackType
from typing import Any

from gevent import GreenletExit, pywsgi

log = logging.getLogger(__name__)

_INVITE_TOKEN = re.compile(r"(/(?:invite|captions)/)[^/\s?\"]+")
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
    """A log line without client addresses, invitation tokens or caption tokens."""
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


_WEBSOCKET_KEY = re.compile(r"^[A-Za-z0-9+/]{22}==$")  # base64 of 16 bytes (RFC 6455, section 4.1)


def _websocket_refusal(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Why a WebSocket upgrade request is malformed (status, reason), or None when it is well formed.

    The checks are RFC 6455's (section 4.2.1), made before the WebSocket library sees the request: that
    library raises, and the client would get a 500, on a missing key, an unknown version or a header
    that is not ASCII.
    """
    headers = {
        name: environ.get(f"HTTP_{name}", "")
        for name in ("UPGRADE", "CONNECTION", "SEC_WEBSOCKET_KEY", "SEC_WEBSOCKET_VERSION")
    }
    extra = [value for key, value in environ.items() if key.startswith("HTTP_SEC_WEBSOCKET_")]
    if not all(value.isascii() for value in [*headers.values(), *extra]):
        return "400 Bad Request", "WebSocket headers must be plain ASCII."
    if environ.get("REQUEST_METHOD") != "GET" or headers["UPGRADE"].strip().lower() != "websocket":
        return "400 Bad Request", "A WebSocket upgrade is a GET with 'Upgrade: websocket'."
    if "upgrade" not in {token.strip().lower() for token in headers["CONNECTION"].split(",")}:
        return "400 Bad Request", "A WebSocket upgrade needs 'Connection: Upgrade'."
    if not _WEBSOCKET_KEY.match(headers["SEC_WEBSOCKET_KEY"].strip()):
        return "400 Bad Request", "Sec-WebSocket-Key must be 16 bytes in base64."
    if headers["SEC_WEBSOCKET_VERSION"].strip() != "13":
        return "426 Upgrade Required", "Only WebSocket version 13 is spoken here."
    return None


class WebSocketHandshakeCheck:
    """WSGI middleware for WebSocket upgrades to the live endpoint: a malformed one gets a plain 4xx with the
    reason, never a 500 from deep inside the WebSocket library; and unless ``compression`` is on, the
    client's offer of permessage-deflate is taken out of the request, so the library does not accept it.

    Live messages are small (a delta is about a hundred bytes), and a deflate context costs each connection
    about 100 KB of memory and each message CPU time: for thousands of phones in one room that is the
    wrong trade (``FORUM_WEBSOCKET_COMPRESSION`` turns it back on).
    """

    def __init__(self, app: Any, path: str = "/socket.io/", *, compression: bool = False) -> None:
        self.app, self.path, self.compression = app, path, compression

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith(self.path) and "HTTP_UPGRADE" in environ:
            if not self.compression:
                environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
            refusal = _websocket_refusal(environ)
            if refusal is not None:
                status, reason = refusal
                body = f"{reason}\n".encode()
                headers = [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Sec-WebSocket-Version", "13"),
                    ("Connection", "close"),
                ]
                start_response(status, headers)
                return [body]
        return self.app(environ, start_response)


def listening_socket(host: str, port: int, backlog: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` with room for ``backlog`` connections not yet accepted.

    gevent's default backlog of 128 makes a burst of phones joining at once wait a whole TCP retry (1 s).
    With ``reuse_port`` several processes listen on the same address and the kernel spreads new connections
    across them (``FORUM_WORKERS``, forum/workers.py).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    listener.setblocking(False)
    return listener


def tune_garbage_collection(threshold: int) -> None:
    """Keep Python's cycle collector from stalling a crowded server (``FORUM_GC_THRESHOLD``).

    Every connection allocates many small objects that live as long as it does, so while a crowd connects
    the heap grows quickly, and each growth of a quarter sets off a full collection that walks the whole heap
    (a quarter of a second at 5,000 connections), during which no message goes out. What startup built
    (the app, its templates, the libraries) lives as long as the process: ``gc.freeze`` takes it out of
    every later collection. ``threshold`` is the number of new objects between young collections (Python's
    default is 700); fewer young collections also means fewer of the older ones they lead to. ``0`` leaves
    Python's defaults alone. Called once, just before serving (docs/performance.md).
    """
    if threshold <= 0:
        return
    gc.collect()  # what startup left as garbage goes now, not into the frozen generation
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold, middle, oldest)


def serve(app: Any, listener: socket.socket, *, log_output: bool = True) -> None:
    """Serve ``app`` (HTTP pages and the live connections) on ``listener`` until the process is stopped.

    This is what Flask-SocketIO's ``socketio.run`` does under gevent without gevent-websocket (WebSockets
    come from simple-websocket), with the project's handler and a listening socket made here.
    """
    log = "default" if log_output else None
    server = pywsgi.WSGIServer(listener, app, handler_class=ForumWSGIHandler, log=log)
    server.serve_forever()
