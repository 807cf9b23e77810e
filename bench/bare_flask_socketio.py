"""A bare Flask-SocketIO broadcaster on gevent, the middle row of the fan-out benchmark (bench/fanout.py).

Run from the project root (bench/fanout.py starts it by itself):

    .venv/bin/python -m bench.bare_flask_socketio --port 5002 [--host 127.0.0.1] [--deflate]

Served as the app is served (``python app.py``): gevent's monkey patching, pywsgi with a 2,048-connection
listen backlog, WebSockets through simple-websocket (python-engineio's gevent driver), the same handler fix
that ends a connection with its WebSocket. Connections to the namespace ``/live`` join one room; when the
"moderator" connection (auth ``{"moderator": true}``) emits any event, one ``delta`` of the app's shape
(``current_question``) goes to that room and the moderator gets the app's kind of ack. No database, no
snapshot, no access log. Like the app, it takes the client's permessage-deflate offer out of the upgrade
request unless ``--deflate`` is given (simple-websocket accepts any offer). Prints one line with the port once
it accepts connections.
"""

from __future__ import annotations

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import argparse
import gc
import sys
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, join_room
from gevent import pywsgi

NAMESPACE = "/live"
AUDIENCE = "audience"


class Handler(pywsgi.WSGIHandler):
    """pywsgi's handler; the connection ends when its WebSocket ends (as forum/serving.py does)."""

    def run_application(self) -> None:
        super().run_application()
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True


class NoDeflate:
    """WSGI middleware: the client's permessage-deflate offer is taken out of a WebSocket upgrade request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)


def create(deflate: bool, async_mode: str = "gevent") -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=async_mode, cors_allowed_origins="*", manage_session=False)
    moderators: set[str] = set()
    state = {"seq": 12, "question_id": 1}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok\n"

    @socketio.on("connect", namespace=NAMESPACE)
    def on_connect(auth: Any = None) -> None:
        if isinstance(auth, dict) and auth.get("moderator"):
            moderators.add(request.sid)  # type: ignore[attr-defined]
        else:
            join_room(AUDIENCE)

    @socketio.on("disconnect", namespace=NAMESPACE)
    def on_disconnect(*_: Any) -> None:
        moderators.discard(request.sid)  # type: ignore[attr-defined]

    @socketio.on("*", namespace=NAMESPACE)
    def on_any(_event: str, *_args: Any) -> dict[str, Any] | None:
        if request.sid not in moderators:  # type: ignore[attr-defined]
            return None
        state["seq"] += 1
        state["question_id"] = 2 if state["question_id"] == 1 else 1
        delta = {
            "event_id": 1,
            "stream": "public",
            "seq": state["seq"],
            "type": "current_question",
            "data": {"question_id": state["question_id"]},
        }
        socketio.emit("delta", delta, to=AUDIENCE, namespace=NAMESPACE)
        return {"ok": True, "result": None, "message": ""}

    if not deflate:
        app.wsgi_app = NoDeflate(app.wsgi_app)  # type: ignore[method-assign]
    return app, socketio


def gunicorn_app() -> Flask:
    """For ``gunicorn -k gevent 'bench.bare_flask_socketio:gunicorn_app()'`` (bench/fanout.py)."""
    return create(False)[0]


def uwsgi_app() -> Flask:
    """For uWSGI in gevent mode with its own WebSocket support (bench/fanout.py)."""
    return create(False, async_mode="gevent_uwsgi")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--deflate", action="store_true", help="accept permessage-deflate offers")
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=0,
        help="tune the cycle collector as the app does (FORUM_GC_THRESHOLD): freeze, then this threshold",
    )
    args = parser.parse_args(argv)
    app, socketio = create(args.deflate)
    if args.gc_threshold > 0:
        gc.collect()
        gc.freeze()
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    print(f"listening on {args.host}:{args.port}", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False, handler_class=Handler, backlog=2048)
    return 0


if __name__ == "__main__":
    sys.exit(main())
