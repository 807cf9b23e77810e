"""Domain errors raised by services and turned into HTTP pages, JSON bodies or Socket.IO acks.

Each error has a stable machine ``code`` (documented for API and socket clients), an HTTP status,
a human message, and optionally per-field messages for forms.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        # str(): a message may be a lazy translation, which JSON cannot carry as it is.
        body: dict[str, object] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {name: str(message) for name, message in self.fields.items()}
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class InvalidInput(DomainError):
    code = "invalid"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "retry_after": self.retry_after}


class MalformedRequest(DomainError):
    """A request a program sent wrong (a query parameter that is not a number): HTTP 400."""

    code = "bad_request"
    status = 400


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
