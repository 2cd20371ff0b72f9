"""The refusals of the API's models and domain functions, in the words of the page's language.

A form is checked by the same pydantic models and the same domain functions as the API; what
they refuse comes back here as (API field, message) and leaves as a sentence for people, in
French or English, without a library's text. A message no rule below knows is shown as a plain
"this value is refused", never as the library's words.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime

from pydantic import ValidationError

from hub.errors import InvalidInput
from hub.web.i18n import Lang, translator
from hub.web.words import Words

# pydantic's error types, by the message that says them.
BY_TYPE = {
    "missing": "form.error.missing",
    "string_too_long": "form.error.too_long",
    "too_long": "form.error.too_many",
    "url_parsing": "form.error.url",
    "url_scheme": "form.error.url",
    "url_syntax_violation": "form.error.url",
    "url_type": "form.error.url",
    "url_too_long": "form.error.url",
    "greater_than_equal": "form.error.at_least",
    "greater_than": "form.error.more_than",
    "less_than_equal": "form.error.at_most",
    "int_parsing": "form.error.whole_number",
    "int_type": "form.error.whole_number",
    "int_from_float": "form.error.whole_number",
    "float_parsing": "form.error.number",
    "float_type": "form.error.number",
    "date_from_datetime_parsing": "form.error.date",
    "date_parsing": "form.error.date",
    "date_type": "form.error.date",
    "datetime_parsing": "form.error.date",
    "datetime_from_date_parsing": "form.error.date",
    "literal_error": "form.error.choice",
    "string_pattern_mismatch": "form.error.format",
    "value_error": "form.error.invalid",
}
# Our own words (domain functions and validators), by a pattern of the English message.
BY_MESSAGE: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^must not be before start$"), "form.error.end_before_start"),
    (
        re.compile(r"is not a date of the rule .*: its first date from there is (?P<first>\S+)$"),
        "form.error.off_rule",
    ),
    (re.compile(r"^the rule produces no date from the start"), "form.error.rule_empty"),
    (re.compile(r"^the rule never produces a date"), "form.error.rule_empty"),
    (re.compile(r"^the recurrence yields more than (?P<n>\d+) occurrences"), "form.error.too_many_dates"),
    (re.compile(r"^the recurrence takes more than"), "form.error.too_many_dates"),
    (re.compile(r"^no place with id"), "form.error.unknown_place"),
    (re.compile(r"^must not contain NUL characters$"), "form.error.nul"),
    (re.compile(r"^the year must be between (?P<low>\d+) and (?P<high>\d+)$"), "form.error.year"),
    (re.compile(r"^(COUNT|INTERVAL) must be between 1 and (?P<high>\d+)$"), "form.error.between"),
]


def api_path(loc: tuple) -> str:
    """A pydantic location as the API's field path: `equipment[2].name`, `recurrence.rrule`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"date", "datetime", "function-after", "function-before"} or "[" in str(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


class Speaker:
    """Says the refusals of one page in its language."""

    def __init__(self, lang: Lang, words: Words) -> None:
        self.t, self.words = translator(lang), words

    def of_validation(self, exc: ValidationError) -> list[tuple[str, str]]:
        """(API field, sentence) for each refusal of a model."""
        found = []
        for error in exc.errors():
            field = api_path(tuple(error.get("loc", ())))
            ctx = error.get("ctx") or {}
            kind = error.get("type", "")
            if kind == "value_error" and "error" in ctx:
                message = self.of_message(str(ctx["error"]))
            elif kind == "string_too_short" and ctx.get("min_length") == 1:
                message = self.t("form.error.missing")
            else:
                message = self.t(BY_TYPE.get(kind, "form.error.invalid"), **_plain(ctx))
            found.append((field, message))
        return found

    def of_domain(self, exc: InvalidInput) -> list[tuple[str, str]]:
        return [(e["field"], self.of_message(e["message"])) for e in exc.errors]

    def of_message(self, message: str) -> str:
        for pattern, key in BY_MESSAGE:
            match = pattern.search(message)
            if match:
                values = {k: self._shown(v) for k, v in match.groupdict().items()}
                return self.t(key, **values)
        return self.t("form.error.invalid")

    def _shown(self, value: str) -> str:
        """An ISO date-time in a message as people read it; anything else as it is."""
        try:
            moment = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
        return self.words.moment(moment)


def by_field(refusals: list[tuple[str, str]], fields: Collection[str]) -> tuple[dict[str, str], list[str]]:
    """The refusals of a form whose fields are `fields`: the first of each field, by the form field
    of its API field's first part (`skills[2]` is `skills`), and the others, said above the form."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for api_field, message in refusals:
        name = api_field.split("[")[0].split(".")[0]
        if name in fields:
            errors.setdefault(name, message)
        else:
            general.append(message)
    return errors, general


def _plain(ctx: dict) -> dict[str, str]:
    return {k: str(v) for k, v in ctx.items() if isinstance(v, int | float | str)}
