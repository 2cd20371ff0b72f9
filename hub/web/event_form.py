"""The event form of the publishing pages: its fields to the API's `EventIn` and back.

Dates are a day and optional times (no time: an all-day event). The recurrence is built from a
few choices (none, weekly, monthly; weekdays; until a date or a number of times) into one RRULE,
which `EventIn` then checks as it checks the API's, bounds included. An event whose rule the
builder cannot show (written through the API) keeps its rule unless another is chosen.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from pydantic import Field, ValidationError

from hub.calendar.rules import MAX_COUNT, MAX_INTERVAL, WEEKDAYS, RecurrenceError, rule_parts
from hub.events.schemas import EventIn
from hub.places.schemas import Strict
from hub.web.field_errors import Speaker
from hub.web.signin import Form

ORDINALS = ("1", "2", "3", "4", "-1")
SINGLE = (
    "title",
    "description",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "place",
    "attendance_mode",
    "status",
    "is_free",
    "registration_url",
    "freq",
    "interval",
    "ordinal",
    "ends",
    "until",
    "count",
)
MULTIPLE = ("themes", "days")
# The API's fields a form field shows, where the names differ.
SHOWN_IN = {"start": "start_date"}
FREE = {"yes": True, "no": False}
# A description in paragraphs and line breaks only: what `paragraphs` makes of plain text.
PLAIN = re.compile(r"(<p>((?!</?p>)(?!<(?!br>)).)*</p>)+", re.DOTALL)


def paragraphs(text: str) -> str | None:
    """A description as typed: plain text becomes paragraphs (a blank line between two) and line
    breaks; text holding tags is HTML already, which `save_event` sanitizes."""
    if not text:
        return None
    if re.search(r"<[a-zA-Z/]", text):
        return text
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + "<br>".join(html.escape(line.strip()) for line in block.splitlines()) + "</p>"
        for block in blocks
    )


def typed(description: str) -> str:
    """What `paragraphs` was given for a description it made; any other HTML as it is."""
    if not PLAIN.fullmatch(description):
        return description
    blocks = description[3:-4].split("</p><p>")
    return "\n\n".join(html.unescape(block.replace("<br>", "\n")) for block in blocks)


class RecurrenceChoice(Strict):
    """The choices of the recurrence builder, bounded as the rule they make."""

    freq: Literal["none", "weekly", "monthly", "keep"] = "none"
    interval: int = Field(1, ge=1, le=MAX_INTERVAL)
    days: list[Literal[WEEKDAYS]] = Field(default_factory=list, max_length=7)  # type: ignore[valid-type]
    ordinal: Literal["", *ORDINALS] = ""  # type: ignore[valid-type]
    ends: Literal["never", "until", "count"] = "never"
    until: date | None = None
    count: int | None = Field(None, ge=1, le=MAX_COUNT)


def to_rule(choice: RecurrenceChoice, start: date) -> str | None:
    """The RRULE of the builder's choices for a series starting on `start`."""
    if choice.freq in ("none", "keep"):
        return None
    weekday = WEEKDAYS[start.weekday()]
    days = choice.days or [weekday]
    parts = [f"FREQ={choice.freq.upper()}"]
    if choice.interval > 1:
        parts.append(f"INTERVAL={choice.interval}")
    if choice.freq == "weekly":
        parts.append(f"BYDAY={','.join(d for d in WEEKDAYS if d in days)}")
    elif choice.ordinal:
        parts.append(f"BYDAY={','.join(choice.ordinal + d for d in WEEKDAYS if d in days)}")
    else:
        parts.append(f"BYMONTHDAY={start.day}")
    if choice.ends == "until" and choice.until:
        parts.append(f"UNTIL={choice.until:%Y%m%d}")
    elif choice.ends == "count" and choice.count:
        parts.append(f"COUNT={choice.count}")
    return ";".join(parts)


def choice_of(rule: str | None) -> dict[str, str | list[str]]:
    """The builder's choices showing `rule`; `keep` when the builder cannot show it."""
    if not rule:
        return {"freq": "none"}
    try:
        parts = rule_parts(rule)
    except RecurrenceError:
        return {"freq": "keep"}
    if not parts.keys() <= {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT"}:
        return {"freq": "keep"}
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    ordinals = {d[:-2].lstrip("+") for d in days}
    values: dict[str, str | list[str]] = {
        "freq": parts["FREQ"].lower(),
        "interval": parts.get("INTERVAL", "1"),
        "days": [d[-2:] for d in days],
        "ordinal": ordinals.pop() if len(ordinals) == 1 else "",
        "ends": "until" if "UNTIL" in parts else "count" if "COUNT" in parts else "never",
    }
    if "UNTIL" in parts:
        values["until"] = f"{parts['UNTIL'][:4]}-{parts['UNTIL'][4:6]}-{parts['UNTIL'][6:8]}"
    if "COUNT" in parts:
        values["count"] = parts["COUNT"]
    simple = (
        values["freq"] == "weekly" and not ordinals and "BYMONTHDAY" not in parts and values["ordinal"] == ""
    ) or (values["freq"] == "monthly" and (values["ordinal"] in ORDINALS or "BYMONTHDAY" in parts))
    return values if simple else {"freq": "keep"}


def form_values(doc: dict) -> dict[str, str | list[str]]:
    """What the form shows of a stored event."""
    values: dict[str, str | list[str]] = {
        key: str(doc[key]) for key in ("title", "attendance_mode", "status") if doc.get(key)
    }
    if doc.get("description"):
        values["description"] = typed(doc["description"])
    start, end = datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"])
    values["start_date"] = start.date().isoformat()
    if doc.get("all_day"):
        if end.date() != start.date():
            values["end_date"] = end.date().isoformat()
    else:
        values["start_time"] = f"{start:%H:%M}"
        if end != start:
            values["end_time"] = f"{end:%H:%M}"
        if end.date() != start.date():
            values["end_date"] = end.date().isoformat()
    values["place"] = (doc.get("place") or {}).get("uid") or (doc.get("place") or {}).get("id", "")
    values["themes"] = [c["id"].rsplit("/", 1)[-1] for c in doc.get("themes") or [] if c.get("id")]
    if doc.get("is_free") is not None:
        values["is_free"] = "yes" if doc["is_free"] else "no"
    if doc.get("registration_url"):
        values["registration_url"] = doc["registration_url"]
    values.update(choice_of((doc.get("recurrence") or {}).get("rrule")))
    return values


@dataclass
class Filled:
    """A posted event form: what it showed, what it says wrong (by form field, and without
    one), and the API's input when nothing is."""

    values: dict[str, str | list[str]]
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    data: EventIn | None = None

    def refuse(self, api_field: str, message: str) -> None:
        """Show a refusal next to the form field showing `api_field`, or above the form."""
        name = self.field_of(api_field)
        if name is None:
            self.general.append(message)
        else:
            self.errors.setdefault(name, message)

    def field_of(self, api_field: str) -> str | None:
        if api_field in SINGLE or api_field in MULTIPLE:
            return api_field
        if api_field == "end":
            return "end_time" if self.values.get("start_time") else "end_date"
        if api_field.startswith("themes"):
            return "themes"
        if api_field.startswith("recurrence"):
            ends = self.values.get("ends")
            return ends if ends in ("until", "count") else "freq"
        return SHOWN_IN.get(api_field)


def _day(filled: Filled, name: str, t) -> date | None:
    value = filled.values.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        filled.errors[name] = t("form.error.date")
        return None


def _time(filled: Filled, name: str, t) -> time | None:
    value = filled.values.get(name)
    if not value:
        return None
    try:
        return time.fromisoformat(str(value)).replace(second=0, microsecond=0)
    except ValueError:
        filled.errors[name] = t("form.error.time")
        return None


def _moments(filled: Filled, t) -> tuple[date | datetime | None, date | datetime | None]:
    """Start and end from the day and time fields: no start time, an all-day event."""
    start_day = _day(filled, "start_date", t)
    start_time, end_day, end_time = (
        _time(filled, "start_time", t),
        _day(filled, "end_date", t),
        _time(filled, "end_time", t),
    )
    if start_day is None:
        filled.errors.setdefault("start_date", t("form.error.missing"))
        return None, None
    if start_time is None:
        if end_time is not None:
            filled.errors.setdefault("start_time", t("form.error.start_time_needed"))
        return start_day, end_day
    start = datetime.combine(start_day, start_time)
    if end_time is None:
        if end_day is not None:
            filled.errors.setdefault("end_time", t("form.error.end_time_needed"))
        return start, None
    return start, datetime.combine(end_day or start_day, end_time)


def read_event_form(form: Form, kept: dict, speaker: Speaker) -> Filled:
    """The posted form checked by the builder and by `EventIn`; `kept` is the input of the
    stored event (nothing for a new one), whose fields the form does not show stay as they are."""
    t = speaker.t
    values: dict[str, str | list[str]] = {name: form.get(name) for name in SINGLE}
    values.update({name: form.all(name) for name in MULTIPLE})
    filled = Filled(values)
    start, end = _moments(filled, t)
    choices = {
        k: values[k] for k in ("freq", "interval", "days", "ordinal", "ends", "until", "count") if values[k]
    }
    try:
        choice = RecurrenceChoice.model_validate(choices)
    except ValidationError as exc:
        for api_field, message in speaker.of_validation(exc):
            filled.errors.setdefault(api_field.split(".")[0].split("[")[0], message)
        choice = None
    if choice is not None and choice.ends == "until" and choice.until is None and choice.freq != "none":
        filled.errors.setdefault("until", t("form.error.missing"))
    if choice is not None and choice.ends == "count" and choice.count is None and choice.freq != "none":
        filled.errors.setdefault("count", t("form.error.missing"))
    kept_recurrence = dict(kept.get("recurrence") or {})
    if choice is None or start is None:
        rule = None
    elif choice.freq == "keep":
        rule = kept_recurrence.get("rrule")
    else:
        rule = to_rule(choice, _day_of(start))
    recurrence = {**kept_recurrence, "rrule": rule}
    if not rule:
        del recurrence["rrule"]
    free_text = [
        theme for theme in kept.get("themes", []) if not str(theme).startswith(("http://", "https://"))
    ]
    data = {
        **kept,
        "title": values["title"],
        "description": paragraphs(str(values["description"])),
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "place": values["place"] or None,
        "themes": list(values["themes"]) + free_text,
        "attendance_mode": values["attendance_mode"] or "offline",
        "status": values["status"] or kept.get("status", "scheduled"),
        "is_free": FREE.get(str(values["is_free"])),
        "registration_url": values["registration_url"] or None,
        "recurrence": recurrence or None,
    }
    # Checked even when a field of the form is already refused: every refusal is shown at once.
    try:
        valid = EventIn.model_validate(data)
    except ValidationError as exc:
        for api_field, message in speaker.of_validation(exc):
            filled.refuse(api_field, message)
    else:
        filled.data = None if filled.errors else valid
    return filled


def _day_of(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
