"""Words for people: dates, hours, recurrence rules and thesaurus labels in the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.web.i18n import Lang, translator

WEEKDAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ORDINALS = ("", "1", "2", "3", "4", "5", "-1", "-2")


def _rule_parts(rrule: str | None) -> dict[str, str]:
    text = (rrule or "").upper().removeprefix("RRULE:")
    return dict(p.split("=", 1) for p in text.split(";") if "=" in p)


class Words:
    """Dates, times and thesaurus labels in the page's language."""

    def __init__(self, lang: Lang, zone: ZoneInfo) -> None:
        self.lang, self.t, self.zone = lang, translator(lang), zone

    def date(self, d: date) -> str:
        number = "1er" if self.lang == "fr" and d.day == 1 else str(d.day)
        return f"{number} {self.t(f'month.{d.month}')} {d.year}"

    def horizon(self, first: date, last: date) -> str:
        """What a page says when the dates it was asked reach past the horizon."""
        return self.t("agenda.horizon", first=self.date(first), last=self.date(last))

    def day(self, d: date, *, year: bool = True, cap: bool = False) -> str:
        text = f"{self.t(f'weekday.{d.weekday()}')} {self.date(d)}"
        text = text if year else text.rsplit(" ", 1)[0]
        return text[0].upper() + text[1:] if cap else text

    def month(self, d: date) -> str:
        return f"{self.t(f'month.{d.month}')} {d.year}".capitalize()

    @staticmethod
    def time(moment: datetime) -> str:
        return f"{moment.hour:02d}:{moment.minute:02d}"

    def hours(self, start: datetime, end: datetime, all_day: bool) -> str:
        """The times of an occurrence within its first day."""
        if all_day:
            return self.t("date.all_day")
        if end.date() != start.date():
            return f"{self.time(start)} – {self.day(end.date(), year=False)} {self.time(end)}"
        return f"{self.time(start)} – {self.time(end)}" if end > start else self.time(start)

    def when(self, start: datetime, end: datetime, all_day: bool) -> str:
        if all_day and (end - start) > timedelta(days=1):
            return f"{self.day(start.date(), cap=True)} – {self.day((end - timedelta(days=1)).date())}"
        return f"{self.day(start.date(), cap=True)}, {self.hours(start, end, all_day)}"

    def moment(self, moment: date | datetime) -> str:
        """A date and time as people read it: "mardi 8 décembre 2026, 12:30"; a date alone
        without the time."""
        if not isinstance(moment, datetime):
            return self.day(moment)
        return f"{self.day(moment.date())}, {self.time(moment)}"

    def stamp(self, iso_utc: str) -> str:
        """An instant the API gives in UTC (`...Z`), as local date and time."""
        local = datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone(self.zone)
        return f"{self.day(local.date())}, {self.time(local)}"

    def label(self, concept: dict) -> str:
        labels = concept.get("label") or {}
        return labels.get(self.lang) or labels.get("und") or next(iter(labels.values()), "")

    def weekdays(self, codes: list[str]) -> str:
        indexes = sorted(WEEKDAY_CODES.index(c) for c in codes if c in WEEKDAY_CODES)
        names = [self.t(f"weekday.{i}") for i in indexes]
        if len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
            return f"{names[0]} – {names[-1]}"
        return ", ".join(names)

    def rule(self, rrule: str | None) -> str:
        """An RRULE in words for the common cases; a plain "recurring" otherwise."""
        parts = _rule_parts(rrule)
        freq, every = parts.get("FREQ"), parts.get("INTERVAL", "1")
        interval = int(every) if every.isdigit() else 1
        days = [d for d in parts.get("BYDAY", "").split(",") if d]
        if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
            return self.t("rule.other")
        text = (
            self.t(f"rule.{freq.lower()}") if interval == 1 else self.t(f"rule.{freq.lower()}.n", n=interval)
        )
        named = []
        for day in days:
            ordinal, code = day[:-2].lstrip("+"), day[-2:].title()
            if code not in WEEKDAY_CODES or ordinal not in ORDINALS:
                return self.t("rule.other")
            name = self.t(f"weekday.{WEEKDAY_CODES.index(code)}")
            named.append(self.t(f"rule.nth.{ordinal}", day=name) if ordinal else name)
        if named:
            text += ", " + self.t("rule.on", days=", ".join(named))
        elif freq == "MONTHLY" and parts.get("BYMONTHDAY", "").isdigit():
            text += ", " + self.t("rule.on_day", n=parts["BYMONTHDAY"])
        return text

    def every(self, rrule: str | None, first: date) -> str:
        """A series as a place lists it: "Tous les mardis" when weekly on one day (the day of its
        `first` date when the rule names none), its rule in words otherwise."""
        parts = _rule_parts(rrule)
        days = [d for d in parts.get("BYDAY", "").split(",") if d]
        code = days[0].title() if days else WEEKDAY_CODES[first.weekday()]
        weekly = parts.get("FREQ") == "WEEKLY" and parts.get("INTERVAL", "1") == "1"
        if weekly and len(days) <= 1 and code in WEEKDAY_CODES:
            return self.t(f"series.every.{WEEKDAY_CODES.index(code)}")
        return self.rule(rrule)
