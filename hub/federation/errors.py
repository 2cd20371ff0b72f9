"""What can go wrong with a source, in words a coordinator understands; each class with the kind
recorded on the source.

    HarvestError                      error
    +-- FetchError                    fetch
    |   +-- SourceTimeout             timeout           too slow to answer (connect, read, or in all)
    |   |   +-- DeadlinePassed        timeout           the source's harvest, or the round, ran out of time
    |   +-- ConnectionFailed          connection        refused, reset, DNS failure, TLS error
    |   +-- RefusedAddress            refused-address   private, loopback or link-local address
    |   +-- TooManyRedirects          redirects         a redirect loop or too long a chain
    |   +-- TooLarge                  too-large         the body exceeds the size limit
    |   +-- HttpStatus                http-status       a 4xx not below: the source refuses the request
    |                                     not-found         404 or 410: nothing at this address (any more)
    |                                     forbidden         401 or 403: the source does not let us read
    |                                     server-error      5xx: the source's server failed
    |   +-- RateLimited               rate-limited      429/503 with a Retry-After beyond our patience
    +-- InternalFailure               internal          the hub's own fault (logged with its trace)
    +-- ContentError                  content
    |   +-- WrongContentType          content-type      HTML where a feed was expected, ...
    |   +-- InvalidJson               invalid-json      the body is not JSON
    |   +-- InvalidFeed               invalid-feed      JSON, but not a change page or descriptor
    |   +-- NoEventOnPage             no-event          a web page without a readable schema.org event
    |   +-- NotACalendar              not-a-calendar    not an iCalendar file, or cut short before any event
    |   +-- StuckFeed                 stuck-feed        a change feed whose cursor does not move
    +-- Refused                       refused           one record this source may not publish
        +-- Unreadable                unreadable        one record that cannot be read, or is no valid input

The adapters raise these themselves and the harvester records on the source the kind and the
message of the one that ended a harvest. `Refused` and `Unreadable` concern one record: they
never end a harvest, the record is quarantined alone with the message and the rest goes in.
Every foreign exception is wrapped with `raise ... from exc`, so the cause stays in the logs.
"""

from __future__ import annotations

from datetime import datetime


class HarvestError(Exception):
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FetchError(HarvestError):
    kind = "fetch"


class SourceTimeout(FetchError):
    kind = "timeout"


class DeadlinePassed(SourceTimeout):
    """The harvest of a source, or the round it belongs to, ran out of time: what was applied
    before stays applied (pages commit one by one)."""


class ConnectionFailed(FetchError):
    kind = "connection"


class RefusedAddress(FetchError):
    kind = "refused-address"


class TooManyRedirects(FetchError):
    kind = "redirects"


class TooLarge(FetchError):
    kind = "too-large"


class HttpStatus(FetchError):
    """An error status; its kind says whose fault it is, for the coordinator to know what to do."""

    kind = "http-status"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.kind = (
            "not-found"
            if status in (404, 410)
            else "forbidden"
            if status in (401, 403)
            else "server-error"
            if status >= 500
            else "http-status"
        )


class RateLimited(FetchError):
    kind = "rate-limited"

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class InternalFailure(HarvestError):
    kind = "internal"


class ContentError(HarvestError):
    kind = "content"


class WrongContentType(ContentError):
    kind = "content-type"


class InvalidJson(ContentError):
    kind = "invalid-json"


class InvalidFeed(ContentError):
    kind = "invalid-feed"


class NoEventOnPage(ContentError):
    kind = "no-event"


class NotACalendar(ContentError):
    kind = "not-a-calendar"


class StuckFeed(ContentError):
    """A change feed answered a cursor already asked for in this harvest, with more to come:
    followed, it would be harvested forever."""

    kind = "stuck-feed"


class Refused(HarvestError):
    """A record this source may not publish (an IRI outside its base, a record of this instance)."""

    kind = "refused"


class Unreadable(Refused):
    """A record an adapter cannot read, or that is not a valid input once read."""

    kind = "unreadable"
