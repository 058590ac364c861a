"""Domain errors of the emulator; the app turns each into the platform's JSON error envelope (wire §1.5)."""
from __future__ import annotations


class EmulatorError(Exception):
    status = 500

    def __init__(self, message: str, status: int = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(EmulatorError):
    status = 400


class Unauthorized(EmulatorError):
    status = 401


class Forbidden(EmulatorError):
    status = 403


class NotFound(EmulatorError):
    status = 404


class Conflict(EmulatorError):
    status = 409


def not_found(kind: str, key: str) -> NotFound:
    """``NotFound`` naming the entity: 'Dataset not found: 65f...'."""
    return NotFound(f"{kind} not found: {key}")
