"""One exception tree, named as the platform's SDK names them.

Every HTTP failure becomes a ``PlatformException`` subclass chosen by status code and carries
``status_code`` (str, as the official SDK), ``message`` (the server's), ``method`` and ``path``.
A token never appears in any of them: the transport only ever passes the path.
"""
from __future__ import annotations

from typing import Optional


class DataloopError(Exception):
    """Root of every error this package raises on purpose."""


class PlatformException(DataloopError):
    """An error answered by (or on behalf of) the platform."""

    def __init__(self, status_code, message: str = "", method: Optional[str] = None,
                 path: Optional[str] = None, request_id: Optional[str] = None):
        self.status_code = str(status_code)
        self.message = message
        self.method = method
        self.path = path
        self.request_id = request_id
        where = f" ({method} {path})" if method and path else ""
        super().__init__(f"{self.status_code}: {message}{where}")

    @property
    def status(self) -> Optional[int]:
        """The HTTP status as an int, when the code is numeric."""
        return int(self.status_code) if self.status_code.isdigit() else None


class BadRequest(PlatformException): pass
class Unauthorized(PlatformException): pass
class Forbidden(PlatformException): pass
class NotFound(PlatformException): pass
class RequestTimeout(PlatformException): pass
class Conflict(PlatformException): pass
class FailedDependency(PlatformException): pass
class TooManyRequests(PlatformException): pass
class InternalServerError(PlatformException): pass
class ServiceUnavailable(PlatformException): pass
class TokenExpired(PlatformException): pass
class MissingEntity(PlatformException, ValueError): pass
class SDKError(PlatformException): pass
class ShowAnnotationError(PlatformException): pass
class ExportAnnotationError(PlatformException): pass
class UnknownException(PlatformException): pass


class RunError(DataloopError):
    """A wait on something the platform runs did not end in success; ``status`` is its last ``RunStatus``."""

    def __init__(self, message: str, status=None):
        super().__init__(message)
        self.status = status


class RunFailed(RunError):
    """The run ended unsuccessfully (failed, aborted, terminated...); the message carries the platform's."""


class RunTimeout(RunError, TimeoutError):
    """The run did not end before the wait's deadline (it goes on running unless the caller cancels it)."""


class RunCancelled(RunError):
    """The wait was cancelled by its caller (and the remote run cancelled unless asked not to)."""


class APIConnectionError(SDKError):
    """The request never got an HTTP answer (refused, reset, DNS, TLS)."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


_BY_STATUS = {
    "400": BadRequest, "401": Unauthorized, "403": Forbidden, "404": NotFound,
    "408": RequestTimeout, "409": Conflict, "424": FailedDependency, "429": TooManyRequests,
    "500": InternalServerError, "503": ServiceUnavailable, "600": TokenExpired,
    "1001": ShowAnnotationError, "1002": ExportAnnotationError, "2001": MissingEntity, "3001": SDKError,
}


def exception_for(status_code, message: str = "", **context) -> PlatformException:
    """Build (not raise) the exception class that matches ``status_code``."""
    cls = _BY_STATUS.get(str(status_code), UnknownException)
    return cls(status_code, message, **context)
