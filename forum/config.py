"""Settings read from ``FORUM_*`` environment variables (documented in README.md).

Nothing secret lives in the code: when ``FORUM_SECRET_KEY`` is unset, a random key is generated
once into the instance folder and reused on every start, so sessions survive restarts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORT = 5000

# Audience rate limits ("count/period", see the `limits` library): per member unless noted.
DEFAULT_RATE_LIMITS = {
    "question": "4/minute",
    "vote": "60/minute",
    "report": "10/minute",
    "poll_vote": "20/minute",
    "comment": "5/minute",
    "network": "300/minute",  # all audience actions from one network address together
    "signin": "20/hour",  # failed sign-ins per network address
    "signin_account": "10/hour",  # failed sign-ins per account, from anywhere
    "join": "20/minute",  # wrong join codes per network address (right ones never count)
    "identity": "200/hour",  # new audience identities per network address (raise it for one big shared NAT)
    "pdf": "20/minute",  # PDF downloads per network address (each version is rendered once, then kept)
    "invitation_mail": "30/hour",  # invitation links sent by e-mail, per organizer
    "captions": "1200/minute",  # caption posts per caption link (a speech engine may send several a second)
}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc


def _env_at_least(name: str, default: int, least: int) -> int:
    value = _env_int(name, default)
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return value


LIVE_TRANSPORT_NAMES = ("polling", "websocket")


def _live_transports(workers: int) -> tuple[str, ...]:
    """How live pages connect (``FORUM_LIVE_TRANSPORTS``, comma-separated, in the order tried).

    One process: long-polling first, then the upgrade to WebSocket (Socket.IO's default, which also gets
    through proxies that block WebSockets). Several processes on one address (``FORUM_WORKERS``): WebSocket
    only, because the kernel may hand a browser's successive polling requests to different processes.
    """
    raw = _env("FORUM_LIVE_TRANSPORTS")
    if raw is None:
        return ("websocket",) if workers > 1 else LIVE_TRANSPORT_NAMES
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = [name for name in names if name not in LIVE_TRANSPORT_NAMES]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(
            f"FORUM_LIVE_TRANSPORTS lists 'polling' and/or 'websocket' (comma-separated), got {raw!r}"
        )
    return names


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return the key stored in ``instance/secret_key``, writing a new random one the first time."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        key = key_file.read_text(encoding="utf-8").strip()
        if key:
            return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@dataclass(frozen=True)
class MailSettings:
    """The mail server that sends invitation links; without a host, links are only shown to copy."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    sender: str | None = None
    timeout: int = 10

    @classmethod
    def from_environ(cls) -> MailSettings:
        """Read ``FORUM_SMTP_*`` and ``FORUM_MAIL_FROM``; refuse settings that cannot work together."""
        host = _env("FORUM_SMTP_HOST")
        use_ssl = _env_bool("FORUM_SMTP_SSL", False)
        starttls = _env_bool("FORUM_SMTP_STARTTLS", not use_ssl)
        if use_ssl and starttls:
            raise ValueError("FORUM_SMTP_SSL and FORUM_SMTP_STARTTLS cannot both be on: choose one")
        username = _env("FORUM_SMTP_USERNAME")
        sender = _env("FORUM_MAIL_FROM") or (username if username and "@" in username else None)
        if host and not sender:
            raise ValueError("FORUM_SMTP_HOST is set: set FORUM_MAIL_FROM to the address mail is sent from")
        return cls(
            host=host,
            port=_env_int("FORUM_SMTP_PORT", 465 if use_ssl else 587),
            username=username,
            password=_env("FORUM_SMTP_PASSWORD"),
            starttls=starttls,
            ssl=use_ssl,
            sender=sender,
            timeout=_env_int("FORUM_SMTP_TIMEOUT", 10),
        )

    def flask_config(self) -> dict[str, object]:
        """Flask-Mailman's settings. The SMTP backend is named even in tests (which would pick an in-memory
        one), so a configured server is always the one used."""
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USERNAME": self.username,
            "MAIL_PASSWORD": self.password,
            "MAIL_USE_TLS": self.starttls,
            "MAIL_USE_SSL": self.ssl,
            "MAIL_DEFAULT_SENDER": self.sender,
            "MAIL_TIMEOUT": self.timeout,
        }


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from the environment, resolved once at start-up."""

    instance_path: Path
    database_url: str
    secret_key: str
    message_queue: str | None
    message_queue_channel: str
    allowed_origins: list[str]
    host: str
    port: int
    allow_signup: bool
    public_url: str | None
    rate_limits: dict[str, str]
    rate_limit_storage: str
    retention_days: int
    proxy_count: int
    max_connections: int = 20_000
    max_connections_per_address: int = 1_000
    listen_backlog: int = 2_048
    gc_threshold: int = 10_000
    websocket_compression: bool = False
    workers: int = 1
    admission_rate: int = 700
    db_pool_size: int = 30
    db_max_overflow: int = 0
    live_transports: tuple[str, ...] = ("polling", "websocket")
    mail: MailSettings = field(default_factory=MailSettings)
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, instance_path: Path, *, secret_key: str | None = None) -> Settings:
        """Read ``FORUM_*`` variables, filling defaults that keep a fresh clone runnable.

        ``secret_key`` (tests) skips reading or generating the key file.
        """
        port = _env_int("FORUM_PORT", DEFAULT_PORT)
        host = _env("FORUM_HOST", "127.0.0.1") or "127.0.0.1"
        database_url = _env("FORUM_DATABASE_URL") or f"sqlite:///{instance_path / 'forum.sqlite3'}"
        secret_key = secret_key or _env("FORUM_SECRET_KEY") or load_or_create_secret_key(instance_path)
        origins_raw = _env("FORUM_ALLOWED_ORIGINS")
        if origins_raw:
            origins = [o.strip().rstrip("/") for o in origins_raw.split(",") if o.strip()]
        else:
            origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
        public_url = _env("FORUM_PUBLIC_URL")
        if public_url:
            public_url = public_url.rstrip("/")
            if public_url not in origins and not origins_raw:
                origins.append(public_url)
        message_queue = _env("FORUM_MESSAGE_QUEUE")
        workers = _env_int("FORUM_WORKERS", 1)
        rate_limits = {
            name: _env(f"FORUM_RATE_{name.upper()}", default) or default
            for name, default in DEFAULT_RATE_LIMITS.items()
        }
        shared_store = message_queue if message_queue and message_queue.startswith("redis") else None
        return cls(
            instance_path=instance_path,
            database_url=normalise_database_url(database_url),
            secret_key=secret_key,
            message_queue=message_queue,
            message_queue_channel=_env("FORUM_MESSAGE_QUEUE_CHANNEL", "debate-forum") or "debate-forum",
            allowed_origins=origins,
            host=host,
            port=port,
            allow_signup=_env_bool("FORUM_ALLOW_SIGNUP", True),
            public_url=public_url,
            rate_limits=rate_limits,
            rate_limit_storage=_env("FORUM_RATE_LIMIT_STORAGE") or shared_store or "memory://",
            retention_days=_env_int("FORUM_AUDIENCE_RETENTION_DAYS", 30),
            proxy_count=_env_int("FORUM_PROXY_COUNT", 0),
            max_connections=_env_int("FORUM_MAX_CONNECTIONS", 20_000),
            max_connections_per_address=_env_int("FORUM_MAX_CONNECTIONS_PER_ADDRESS", 1_000),
            listen_backlog=_env_int("FORUM_LISTEN_BACKLOG", 2_048),
            gc_threshold=_env_int("FORUM_GC_THRESHOLD", 10_000),
            websocket_compression=_env_bool("FORUM_WEBSOCKET_COMPRESSION", False),
            workers=workers,
            admission_rate=_env_int("FORUM_ADMISSION_RATE", 700),
            db_pool_size=_env_at_least("FORUM_DB_POOL_SIZE", 30, 1),
            db_max_overflow=_env_at_least("FORUM_DB_MAX_OVERFLOW", 0, 0),
            live_transports=_live_transports(workers),
            mail=MailSettings.from_environ(),
        )

    def flask_config(self) -> dict[str, object]:
        """The mapping handed to ``app.config``."""
        return {
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "MESSAGE_QUEUE": self.message_queue,
            "MESSAGE_QUEUE_CHANNEL": self.message_queue_channel,
            "ALLOWED_ORIGINS": self.allowed_origins,
            # Absolute links (canonical, citations, the feed, invitations) are built from the Host header
            # when FORUM_PUBLIC_URL is unset: only the hosts of the allowed origins are accepted.
            "TRUSTED_HOSTS": sorted({h for h in (urlsplit(o).hostname for o in self.allowed_origins) if h}),
            "HOST": self.host,
            "PORT": self.port,
            "ALLOW_SIGNUP": self.allow_signup,
            "PUBLIC_URL": self.public_url,
            "RATE_LIMITS": self.rate_limits,
            "RATE_LIMIT_STORAGE": self.rate_limit_storage,
            "AUDIENCE_RETENTION_DAYS": self.retention_days,
            "PROXY_COUNT": self.proxy_count,
            "MAX_CONNECTIONS": self.max_connections,
            "MAX_CONNECTIONS_PER_ADDRESS": self.max_connections_per_address,
            "LISTEN_BACKLOG": self.listen_backlog,
            "GC_THRESHOLD": self.gc_threshold,
            "WEBSOCKET_COMPRESSION": self.websocket_compression,
            "WORKERS": self.workers,
            "ADMISSION_RATE": self.admission_rate,
            "DB_POOL_SIZE": self.db_pool_size,
            "DB_MAX_OVERFLOW": self.db_max_overflow,
            "LIVE_TRANSPORTS": list(self.live_transports),
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": bool(self.public_url and self.public_url.startswith("https://")),
            "SESSION_COOKIE_SAMESITE": "Lax",
            "WTF_CSRF_TIME_LIMIT": None,
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            **self.mail.flask_config(),
            **self.extra,
        }
