"""What is wrong, as a page says it: in the page's language, with no text of a library (no
pattern, no pydantic wording, no client library's error). A refused query names its field in
words (the API's problem documents keep their own); a failing source says what failed and what
to do about it."""

from __future__ import annotations

import re

from fastapi import Request
from starlette.responses import Response

from hub.errors import HubError
from hub.federation.models import FLAG_INCOMPLETE, FLAG_MASS_REMOVAL, FLAG_RESYNC_CUT
from hub.federation.registry import SourceOut
from hub.settings import Settings
from hub.web.i18n import Lang, translator
from hub.web.site import Ask, not_found, render_page, wants_data

LONGEST_VALUE = 40  # characters of a value a page quotes back


def _cut(value: object) -> str:
    text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE] + "…"


def _say(t, key: str, fallback: str | None = None, **values: object) -> str | None:
    """`key` in words, or `fallback` when the page has no words for it."""
    if t(key) == key:
        return t(fallback, **values) if fallback else None
    return t(key, **values)


def in_words(exc: HubError, lang: Lang) -> str:
    """What is wrong with a page's query, for a person reading it in `lang`."""
    t = translator(lang)

    def name(field: str) -> str:
        return _say(t, f"field.{field}") or t("problem.quote", value=_cut(field))

    params = dict(exc.params)
    if exc.code == "unknown_parameter":
        return " ".join(
            t("problem.unknown_parameter", name=_cut(unknown))
            + (t("problem.did_you_mean", close=name(close)) if close else "")
            for unknown, close in params["close"].items()
        )
    field = name(getattr(exc, "field", "query"))
    if "value" in params:
        params["value"] = _cut(params["value"])
    if exc.code == "unknown_concept":
        close = ", ".join(labels[lang] for labels in params.pop("close") if labels.get(lang))
        return t("problem.unknown_concept", field=field, **params) + (
            t("problem.close", close=close) if close else ""
        )
    return _say(t, f"problem.{exc.code}", "problem.invalid", field=field, **params)


def _pattern(flag: str) -> re.Pattern[str]:
    """A flag's text with its numbers as groups."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>\\d+)", re.escape(flag)))


FLAGS = {
    "resync_cut": _pattern(FLAG_RESYNC_CUT),
    "incomplete": _pattern(FLAG_INCOMPLETE),
    "mass_removal": _pattern(FLAG_MASS_REMOVAL),
}


def health_in_words(source: SourceOut, lang: Lang) -> list[str]:
    """What is wrong with a source, for a coordinator reading the sources page in `lang`: what
    failed and what to do about it, and why it is flagged; never an exception's text."""
    t = translator(lang)
    said = []
    if source.consecutive_failures:
        kind = source.last_error_kind or "error"
        said += [_say(t, f"error_kind.{kind}", "error_kind.error"), _say(t, f"error_help.{kind}")]
    if source.flagged:
        matched = ((key, pattern.fullmatch(source.flagged)) for key, pattern in FLAGS.items())
        key, found = next(((k, m) for k, m in matched if m), ("other", None))
        said.append(t(f"flag.{key}", **(found.groupdict() if found else {})))
    return [words for words in said if words]


def reads_pages(request: Request) -> bool:
    """Whether a request comes from a person's browser, asking for a page: it names HTML in its
    `Accept` and prefers it, and its path is no API, feed or file."""
    path = request.url.path
    return (
        "text/html" in request.headers.get("accept", "")
        and not wants_data(request)
        and not path.startswith(NOT_PAGES)
    )


NOT_PAGES = ("/api/", "/feeds/", "/static/", "/.well-known/", "/openapi.json", "/embed/agenda.js")


def missing_page(request: Request, settings: Settings) -> Response:
    """The page for an address that names no page, in the reader's language."""
    return not_found(Ask.of(request, settings))


def too_many_page(request: Request, settings: Settings, seconds: int) -> Response:
    """The page for a browser past its budget of page reads, in the reader's language."""
    ask = Ask.of(request, settings)
    t = translator(ask.lang)
    text = t("error.too_many.text", seconds=seconds)
    return render_page(ask, "error.html", t("error.too_many"), status=429, message=text)
