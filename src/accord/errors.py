"""The one error family. Web, API and CLI each turn these into their own answer."""

from __future__ import annotations


class AccordError(Exception):
    """Base of every error Accord reports to a user."""

    status_code = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AccordError):
    status_code = 404
    title = "Not found"


class Invalid(AccordError):
    """Input that cannot be accepted; names the field and the reason."""

    status_code = 422
    title = "Invalid input"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Conflict(AccordError):
    status_code = 409
    title = "Conflict"


class PermissionDenied(AccordError):
    status_code = 403
    title = "Permission denied"


class NotAuthenticated(AccordError):
    status_code = 401
    title = "Login required"


class ConsentRequired(AccordError):
    status_code = 403
    title = "Consent required"


class SetupError(AccordError):
    """The installation itself is wrong: database URL, workspace folder, schema version."""

    status_code = 500
    title = "Set-up problem"
