"""Debate forum: set up a moderated panel, run it live, publish its record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from forum.config import Settings
from forum.db import Database

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from ``FORUM_*`` settings; ``overrides`` (tests) win over the environment."""
    overrides = dict(overrides or {})
    instance_path = Path(
        overrides.pop("INSTANCE_PATH", None)
        or os.environ.get("FORUM_INSTANCE_PATH")
        or PROJECT_ROOT / "instance"
    ).resolve()
    instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    settings = Settings.from_environ(instance_path, secret_key=overrides.get("SECRET_KEY"))
    app.config.update(settings.flask_config())
    app.config.update(overrides)

    db = Database(
        app.config["DATABASE_URL"],
        pool_size=app.config["DB_POOL_SIZE"],
        max_overflow=app.config["DB_MAX_OVERFLOW"],
    )
    app.extensions["forum.db"] = db

    from forum import boundary, cli, i18n, web
    from forum.extensions import csrf, login_manager, mail, socketio
    from forum.live import broadcast, handlers, regions, wire_json  # noqa: F401 - handlers register on import

    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    # Always named, also as None: the shared extension keeps options from an earlier app otherwise.
    queue = app.config.get("MESSAGE_QUEUE")
    channel = app.config.get("MESSAGE_QUEUE_CHANNEL", "debate-forum")
    client_manager = broadcast.queue_manager(queue, channel) if queue else None
    socketio.init_app(
        app,
        cors_allowed_origins=app.config["ALLOWED_ORIGINS"],
        client_manager=client_manager,
        manage_session=False,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        json=wire_json,
    )
    from forum.live.coalescer import TallyCoalescer
    from forum.rate_limits import RateLimits

    app.extensions["forum.rate_limits"] = RateLimits(
        app.config["RATE_LIMITS"], app.config["RATE_LIMIT_STORAGE"]
    )
    from forum.live.connections import ADMISSION_MAX_WAIT, AdmissionPace, ConnectionLimits

    app.extensions["forum.connections"] = ConnectionLimits(
        app.config.get("MAX_CONNECTIONS", 20_000), app.config.get("MAX_CONNECTIONS_PER_ADDRESS", 1_000)
    )
    rate = app.config.get("ADMISSION_RATE", 0)
    app.extensions["forum.admission_pace"] = AdmissionPace(rate, burst=rate, max_wait=ADMISSION_MAX_WAIT)
    from forum.live.admission import KnownRooms
    from forum.live.snapshots import SharedRoomStates

    app.extensions["forum.known_rooms"] = KnownRooms()

    app.extensions["forum.room_states"] = SharedRoomStates()
    window = None
    if str(queue or "").startswith(("redis://", "rediss://")):
        from forum.live.coalescer import RedisTallyWindow

        window = RedisTallyWindow(str(queue), channel)
    tallies = TallyCoalescer(app, interval=app.config.get("TALLY_INTERVAL", 0.2), window=window)
    app.extensions["forum.tallies"] = tallies
    broadcast.install(db.session_factory, tallies)
    from forum.serving import WebSocketHandshakeCheck

    app.wsgi_app = WebSocketHandshakeCheck(  # type: ignore[method-assign]
        app.wsgi_app, compression=bool(app.config.get("WEBSOCKET_COMPRESSION"))
    )
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    boundary.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    regions.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from forum.accounts.routes import bp as auth_bp
    from forum.archive.routes import bp as archive_bp
    from forum.audience.routes import bp as audience_bp
    from forum.captions.routes import bp as captions_bp
    from forum.events.portal_routes import bp as invitations_bp
    from forum.events.routes import bp as setup_bp
    from forum.live.routes import bp as live_bp
    from forum.publishing.routes import bp as publishing_bp
    from forum.site.routes import bp as site_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(setup_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(audience_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(publishing_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(captions_bp)
