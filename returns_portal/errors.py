"""Domain errors: services raise these; views and the API map them to 4xx."""


class DomainError(Exception):
    """A request that the domain refuses. `status` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The object changed under you (lost race, already done, illegal transition)."""

    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


def permission_require(actor, perm: str, message: str) -> None:
    """The one check at the top of a staff service: `actor` is a signed-in user holding
    `perm` ("catalog.resolve_return"), else PermissionDenied(`message`)."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(perm):
        raise PermissionDenied(message)
