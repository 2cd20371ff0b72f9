"""VTIMEZONE components written as yearly rules, the form every calendar client reads.

icalendar's `Timezone.from_tzinfo` lists each transition in one comma-separated RDATE; ical.js
(Thunderbird) reads only the first values of such a list and keeps the last offset it read, so a
feed showed every winter occurrence after October 2027 one hour late. We write what the zone does
now as one STANDARD and one DAYLIGHT observance with an RRULE each (a zone without daylight saving
gets one STANDARD observance), as RFC 5545 section 3.6.5 shows. The rule in force is the POSIX TZ
string that ends every TZif file (RFC 8536 section 3.3), e.g. `CET-1CEST,M3.5.0,M10.5.0/3`.
Transitions older than that rule, if the feed reaches back to them, are listed one observance each.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

# TZif files list transitions explicitly up to 2037 at most; past them zoneinfo applies the rule.
RULE_CHECKED_UNTIL = 2038
DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
# Transitions older than the rule are looked for day by day, at most this far back. What is read
# from the time zone database is kept (`lru_cache`): it changes only with the tzdata installed.
LONGEST_HISTORY = timedelta(days=366 * 30)
_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,3}(?::\d{2}){0,2}"
_WHEN = rf"M(\d{{1,2}})\.([1-5])\.([0-6])(?:/({_OFFSET}))?"
POSIX_TZ = re.compile(rf"({_NAME})({_OFFSET})(?:({_NAME})({_OFFSET})?,{_WHEN},{_WHEN})?")


def _duration(text: str) -> timedelta:
    """`[+-]hh[:mm[:ss]]` as a duration."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


@dataclass(frozen=True)
class Change:
    """A yearly change of offset: on day `weekday` of week `week` (5: the last) of `month`, at `time`
    after local midnight in the offset before the change (`time` may pass 24 h or be negative)."""

    month: int
    week: int
    weekday: int  # 0 is Sunday, as POSIX counts
    time: timedelta
    before: timedelta
    after: timedelta
    name: str

    def local_onset(self, year: int) -> datetime:
        """When the change happens in `year`, as wall-clock time in the offset before it."""
        first = date(year, self.month, 1)
        day = first + timedelta(days=(self.weekday - (first.isoweekday() % 7)) % 7 + 7 * (self.week - 1))
        while day.month != self.month:  # a 5th week that this month does not have: the last one
            day -= timedelta(days=7)
        return datetime.combine(day, datetime.min.time()) + self.time

    def onset(self, year: int) -> datetime:
        return (self.local_onset(year) - self.before).replace(tzinfo=UTC)

    def rrule(self) -> vRecur | None:
        """The change as an RRULE, or None when no RRULE says it (a shift across months)."""
        shift = self.time.days  # whole days past the day the rule names (negative before it)
        if shift == 0:
            return vRecur(
                freq="YEARLY", bymonth=self.month, byday=f"{self.week % 5 or -1}{DAYS[self.weekday]}"
            )
        # "The Friday after the 4th Thursday": the 4th Thursday falls on the 22nd to the 28th. Days
        # are counted from the start of the month: ical.js ignores negative ones beside BYDAY.
        length = 28 if self.month == 2 else monthrange(2001, self.month)[1]
        last = length if self.week == 5 else 7 * self.week
        low, high = last - 6 + shift, last + shift
        if low < 1 or high > length or (self.week == 5 and self.month == 2):
            return None
        return vRecur(
            freq="YEARLY",
            bymonth=self.month,
            byday=DAYS[(self.weekday + shift) % 7],
            bymonthday=list(range(low, high + 1)),
        )


@dataclass(frozen=True)
class Rule:
    """What a zone does every year: a fixed offset, or two changes."""

    standard: timedelta
    standard_name: str
    changes: tuple[Change, Change] | None

    def offset_at(self, moment: datetime) -> timedelta:
        if self.changes is None:
            return self.standard
        begin, end = self.changes
        start, stop = begin.onset(moment.year), end.onset(moment.year)
        in_daylight = start <= moment < stop if start < stop else not stop <= moment < start
        return begin.after if in_daylight else self.standard

    def holds_in(self, zone: ZoneInfo, year: int) -> bool:
        """Whether the zone's offsets in `year` are the rule's, at its changes and mid-month."""
        samples = [datetime(year, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
        for change in self.changes or ():
            onset = change.onset(year)
            samples += [onset - timedelta(seconds=1), onset]
        return all(_offset(zone, moment) == self.offset_at(moment) for moment in samples)


def parse_posix_tz(text: str) -> Rule | None:
    """A POSIX TZ string with `M` rules (what every current zone uses), or None."""
    match = POSIX_TZ.fullmatch(text.strip())
    if match is None:
        return None
    std_name, std, dst_name, dst, *whens = match.groups()
    standard = -_duration(std)  # POSIX counts west of Greenwich as positive
    name = std_name.strip("<>")
    if dst_name is None:
        return Rule(standard, name, None)
    daylight = -_duration(dst) if dst else standard + timedelta(hours=1)
    (m1, w1, d1, t1), (m2, w2, d2, t2) = whens[:4], whens[4:]
    begin = Change(int(m1), int(w1), int(d1), _duration(t1 or "2"), standard, daylight, dst_name.strip("<>"))
    end = Change(int(m2), int(w2), int(d2), _duration(t2 or "2"), daylight, standard, name)
    return Rule(standard, name, (begin, end))


def _tzif(key: str) -> bytes | None:
    """The TZif file of a zone, looked up where zoneinfo looks: TZPATH, then the tzdata package."""
    if ".." in key or key.startswith("/"):
        return None
    for folder in TZPATH:
        path = Path(folder) / key
        if path.is_file():
            return path.read_bytes()
    try:
        package, _, name = f"tzdata.zoneinfo.{key}".replace("/", ".").rpartition(".")
        return resources.files(package).joinpath(name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return None


@lru_cache(maxsize=64)
def current_rule(key: str) -> Rule | None:
    """The rule a zone follows now, from the TZ string at the end of its TZif file (version 2+)."""
    data = _tzif(key)
    if not data or not data.startswith(b"TZif") or data[4:5] < b"2":
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return parse_posix_tz(footer.decode("ascii", "replace"))


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    """The zone's offset at an aware instant (`zone.utcoffset` would read its wall-clock time)."""
    return moment.astimezone(zone).utcoffset() or timedelta(0)


@lru_cache(maxsize=256)
def _transitions(
    zone: ZoneInfo, start: datetime, stop: datetime
) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """The zone's changes of offset in [start, stop): (instant, offset before, offset after)."""
    found = []
    moment = start
    while moment < stop:
        following = min(moment + timedelta(days=1), stop)
        if _offset(zone, moment) != _offset(zone, following):
            low, high = moment, following  # the change is in (low, high]: halve to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            found.append((high.replace(microsecond=0), _offset(zone, low), _offset(zone, high)))
        moment = following
    return tuple(found)


def _observance(
    kind: type[TimezoneStandard | TimezoneDaylight],
    onset: datetime,
    before: timedelta,
    after: timedelta,
    name: str,
) -> TimezoneStandard | TimezoneDaylight:
    """One observance starting at `onset` (wall-clock time in the offset `before`)."""
    observance = kind()
    observance.add("dtstart", onset)
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", after)
    observance.add("tzname", name)
    return observance


@lru_cache(maxsize=256)
def _rule_year(zone: ZoneInfo, rule: Rule, first_year: int) -> int | None:
    """The earliest year, down to `first_year`, since which the zone follows `rule`."""
    if not rule.holds_in(zone, RULE_CHECKED_UNTIL):
        return None
    year = RULE_CHECKED_UNTIL
    while year > first_year and rule.holds_in(zone, year - 1):
        year -= 1
    return year


def build_vtimezone(zone: ZoneInfo, since: date, until: date) -> Timezone:
    """The VTIMEZONE of `zone`, right for every instant from `since` on.

    The zone's rule is written from the year before `since`; when the rule is younger, the
    transitions before it are listed one observance each; a rule no RRULE says (or a zone
    without a rule) is listed transition by transition up to `until`.
    """
    component = Timezone()
    component.add("tzid", zone.key)
    first_year = since.year - 1
    rule = current_rule(zone.key)
    recurrences = [change.rrule() for change in rule.changes or ()] if rule else [None]
    rule_year = _rule_year(zone, rule, first_year) if rule and None not in recurrences else None
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(rule_year or until.year + 1, 1, 1, tzinfo=UTC)
    if stop > start:
        offset = _offset(zone, start)
        component.add_component(
            _observance(TimezoneStandard, _wall(start, offset), offset, offset, _name(zone, start))
        )
    for instant, before, after in _transitions(zone, start, min(stop, start + LONGEST_HISTORY)):
        kind = TimezoneDaylight if instant.astimezone(zone).dst() else TimezoneStandard
        component.add_component(
            _observance(kind, _wall(instant, before), before, after, _name(zone, instant))
        )
    if rule is None or rule_year is None:
        return component
    if rule.changes is None:
        standard = _observance(
            TimezoneStandard, datetime(rule_year, 1, 1), rule.standard, rule.standard, rule.standard_name
        )
        component.add_component(standard)
        return component
    for change, recurrence in zip(rule.changes, recurrences, strict=True):
        kind = TimezoneStandard if change.after == rule.standard else TimezoneDaylight
        observance = _observance(
            kind, change.local_onset(rule_year), change.before, change.after, change.name
        )
        observance.add("rrule", recurrence)
        component.add_component(observance)
    return component


def _wall(instant: datetime, offset: timedelta) -> datetime:
    return (instant + offset).replace(tzinfo=None)


def _name(zone: ZoneInfo, instant: datetime) -> str:
    return instant.astimezone(zone).tzname() or zone.key
