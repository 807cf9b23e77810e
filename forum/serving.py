"""Serving with gevent: the WSGI handler used by ``python app.py``."""

from __future__ import annotations

from gevent import pywsgi


class ForumWSGIHandler(pywsgi.WSGIHandler):
    """pywsgi's handler, except that a connection ends when its WebSocket ends.

    The WebSocket library answers the upgrade on the raw socket, so pywsgi never sees a response
    and would otherwise try to read the client's closing frame as a new HTTP request.
    """

    def run_application(self) -> None:
        super().run_application()
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True
