"""Errors as types. Each one becomes an RFC 9457 problem document at the HTTP edge.

HubError                    500 (never raised for bad input)
+-- InvalidInput            422 a field of the request is wrong (names the field)
|   +-- OutsideHorizon      422 a date range reaches past the days whose occurrences are stored
|   +-- UnknownParameters   422 query parameters the route does not take (names each one)
|   +-- SourceRefused       422 a source's URL a harvest cannot read: refused, unreachable, unrecognized
|                               (hub/federation/registry.py, names `url`)
+-- NotFound                404
+-- Conflict                409
+-- Unauthorized            401 no or unknown bearer token
+-- Forbidden               403 token lacks the scope
+-- Gone                    410 change-feed cursor older than the tombstone retention
+-- QueryTooCostly          422 a query would scan too much (narrow it)
+-- Busy                    503 the instance serves as many live streams as it may

What goes wrong with a harvested source has a tree of its own, HarvestError
(hub/federation/errors.py): recorded on the source or on a quarantined record, never answered to
a client. Outside both trees, on purpose:
- RecurrenceError (hub/calendar/rules.py), a ValueError of calendar code that knows no request:
  the events service names the field (InvalidInput), an adapter the record (Unreadable);
- UnknownContext (hub/vocabulary/jsonld.py), a ValueError of reading JSON-LD with bundled
  contexts only (the documents are checked against the SHACL shapes that way);
- private signals that never leave their module: apply's _HalfWritten (retry the page record by
  record), fetch's _Retryable (retry the request), schema_schedule's NoRule (keep the dates
  instead of a rule).
"""

from __future__ import annotations

PROBLEM_BASE = "https://w3id.org/tiers-lieux/problems/"


class HubError(Exception):
    status = 500
    type_slug = "internal-error"
    title = "Internal error"
    code = "invalid"

    def __init__(
        self, detail: str, *, errors: list[dict] | None = None, code: str | None = None, **params: object
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        # Members added to the problem document (RFC 9457, section 3.2).
        self.extensions: dict = {}
        # What went wrong as a word and its values, for pages to say it in their own language.
        self.code, self.params = code or self.code, params

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.type_slug


class InvalidInput(HubError):
    status = 422
    type_slug = "invalid-input"
    title = "Invalid input"

    def __init__(
        self, field: str, message: str, *, location: str = "body", code: str | None = None, **params: object
    ) -> None:
        super().__init__(
            f"{field}: {message}",
            errors=[{"field": field, "location": location, "message": message}],
            code=code,
            **params,
        )
        self.field = field


class OutsideHorizon(InvalidInput):
    """Occurrences are stored over a rolling horizon: a range reaching past it would be answered
    from a part of the calendar only. The problem document gives the days served in full."""

    type_slug = "outside-horizon"
    title = "Outside the horizon"

    def __init__(self, field: str, message: str, *, first_day: str, last_day: str) -> None:
        super().__init__(field, message, location="query")
        self.extensions = {"horizon": {"first_day": first_day, "last_day": last_day}}


class UnknownParameters(InvalidInput):
    """Query parameters a route does not take: a misspelt filter named, rather than ignored
    into an answer that looks like an empty result."""

    def __init__(self, close: dict[str, str | None]) -> None:
        """`close`: each unknown name, with the known name closest to it if one is."""
        messages = {
            name: "unknown parameter" + (f" (did you mean `{near}`?)" if near else "")
            for name, near in close.items()
        }
        errors = [{"field": name, "location": "query", "message": text} for name, text in messages.items()]
        HubError.__init__(
            self,
            "; ".join(f"{name}: {text}" for name, text in messages.items()),
            errors=errors,
            code="unknown_parameter",
            close=close,
        )
        self.field = next(iter(messages))


class NotFound(HubError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(HubError):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class Unauthorized(HubError):
    status = 401
    type_slug = "unauthorized"
    title = "Authentication required"


class Forbidden(HubError):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class Gone(HubError):
    status = 410
    type_slug = "cursor-expired"
    title = "Cursor expired"


class QueryTooCostly(HubError):
    status = 422
    type_slug = "query-too-costly"
    title = "Query too costly"
    code = "too_costly"


class Busy(HubError):
    status = 503
    type_slug = "busy"
    title = "Busy"
    code = "busy"
