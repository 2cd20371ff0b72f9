"""The figures of a period in the words of the page showing them: names instead of codes, labels
in the page's language, a chart and a table each, and the API's downloads of the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from markupsafe import Markup
from sqlmodel import Session, col, select

from hub import stats
from hub.filters import PeriodQuery
from hub.people.visibility import Audience
from hub.programmes.models import Programme
from hub.web import charts
from hub.web.i18n import translator
from hub.web.site import Ask
from hub.web.words import Words

TOP_SKILLS = 15
PERIOD_CHOICES = (("next-12-months", "stats.next_12"), ("past-12-months", "stats.past_12"))


@dataclass
class Period:
    """The period a figures page shows: as chosen, its first and last days, as instants, the query
    naming it, and in words. Left empty (but for the days typed) when it could not be read."""

    first: str | None
    last: str | None
    choice: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    query: dict = field(default_factory=dict)
    shown: str | None = None

    def choices(self, ask: Ask, path: str) -> list[tuple[str, str, str]]:
        """The periods offered at once: value, words, link."""
        t = translator(ask.lang)
        return [(value, t(key), ask.url(path, period=value)) for value, key in PERIOD_CHOICES]


def asked_period(ask: Ask) -> Period:
    """The period a figures page is asked for (the next twelve months unless told); raises the
    API's errors (the page then shows `typed_period`)."""
    query = ask.read(PeriodQuery)
    choice = query.choice()
    first, last = query.bounds(ask.settings)
    start, end = query.instants(ask.settings)
    words = Words(ask.lang, ask.zone)
    shown = translator(ask.lang)(
        "stats.shown",
        first=words.date(date.fromisoformat(first[:10])),
        last=words.date(date.fromisoformat(last[:10])),
    )
    named = {"start": first, "end": last} if choice == "explicit" else {"period": choice}
    return Period(first, last, choice, start, end, named, shown)


def typed_period(ask: Ask) -> Period:
    """A period that could not be read, as typed: the form shows it again."""
    return Period(ask.values.get("start"), ask.values.get("end"))


@dataclass
class Figure:
    """One figure of the stats page or the report: its chart (if any), its table, its downloads."""

    key: str
    title: str
    chart: Markup | None
    columns: list[str]
    rows: list[list]
    downloads: list[tuple[str, str]] = field(default_factory=list)


def number(value: object, lang: str) -> object:
    """A figure as the page's language writes it: a decimal comma in French."""
    return str(value).replace(".", ",") if isinstance(value, float) and lang == "fr" else value


class Figures:
    """The figures of one period, in the words of the page asking for them."""

    def __init__(self, session: Session, ask: Ask, start: datetime, end: datetime, query: dict) -> None:
        self.session, self.ask, self.start, self.end, self.query = session, ask, start, end, query
        self.t, self.lang = translator(ask.lang), ask.lang
        self.words = Words(ask.lang, ask.zone)

    def downloads(self, by: str) -> list[tuple[str, str]]:
        """CSV, CSV for French spreadsheets and Excel: the API's answers for the same figures."""
        period = {} if by == "skills" else self.query
        link = partial(self.ask.url, "/api/v1/stats", by=by, **period, lang=self.lang)
        return [
            (self.t("stats.csv_comma"), link(format="csv")),
            (self.t("stats.csv_semicolon"), link(format="csv", sep="semicolon")),
            (self.t("stats.xlsx"), link(format="xlsx")),
        ]

    def workbook(self) -> str:
        """Every figure of the period in one Excel workbook."""
        return self.ask.url("/api/v1/stats/workbook", **self.query, lang=self.lang)

    def counted(self, by: str, title: str, column: str, missing: str) -> Figure:
        """Dates (and events) per place, department, region, theme or audience, with their names."""
        table = stats.event_figures(self.session, by, self.start, self.end, self.ask.zone, self.lang)
        rows = [[_named(key, label, by) or self.t(missing), *r] for key, label, *r in table.rows]
        return Figure(
            by,
            title,
            charts.hbar_chart(f"chart-{by}", title, [(r[0], r[2]) for r in rows]),
            [self.t(column), self.t("stats.events"), self.t("stats.occurrences")],
            rows,
            self.downloads(by),
        )

    def totals(self, table: stats.Table) -> Figure:
        """The headline figures (`stats.totals`), named."""
        rows = [[self.t(f"stats.total.{key}"), number(value, self.lang)] for key, value in table.rows]
        columns = [self.t("stats.figure"), self.t("stats.value")]
        return Figure("totals", self.t("stats.totals"), None, columns, rows, self.downloads("totals"))

    def months(self) -> Figure:
        table = stats.event_figures(self.session, "month", self.start, self.end, self.ask.zone)
        years = {r[0][:4] for r in table.rows}
        labels = [
            self.t(f"month.short.{int(r[0][5:])}") if len(years) == 1 else f"{r[0][5:]}/{r[0][2:4]}"
            for r in table.rows
        ]
        series = [
            (self.t("stats.events"), [r[1] for r in table.rows]),
            (self.t("stats.occurrences"), [r[2] for r in table.rows]),
        ]
        title = self.t("stats.by_month")
        return Figure(
            "month",
            title,
            charts.bar_chart("chart-month", title, labels, series),
            [self.t("stats.month"), self.t("stats.events"), self.t("stats.occurrences")],
            [[label, *r[1:]] for label, r in zip(labels, table.rows, strict=True)],
            self.downloads("month"),
        )

    def shared(self) -> Figure:
        table = stats.shared_events(self.session, self.start, self.end, self.ask.zone)
        title = self.t("stats.shared")
        return Figure(
            "shared",
            title,
            None,
            [self.t("stats.event"), self.t("stats.date"), self.t("stats.organizers")],
            [[r[1], self.words.date(date.fromisoformat(r[4][:10])), r[5]] for r in table.rows],
            self.downloads("shared"),
        )

    def skills(self, audience: Audience = "public", title: str | None = None) -> Figure:
        table = stats.skill_figures(self.session, audience, lang=self.lang)
        rows = [[label, n] for _, label, n in table.rows][:TOP_SKILLS]
        title = title or self.t("stats.skills", n=TOP_SKILLS)
        return Figure(
            "skills",
            title,
            charts.hbar_chart("chart-skills", title, [(r[0], r[1]) for r in rows]),
            [self.t("stats.skill"), self.t("stats.people")],
            rows,
            self.downloads("skills"),
        )

    def needs(self, audience: Audience = "public") -> Figure:
        """Needs and offers posted per month and place, and the needs matched and answered."""
        table = stats.need_figures(self.session, self.start, self.end, self.ask.zone, audience)
        rows = [[m, name or iri or self.t("stats.no_place"), *counts] for m, iri, name, *counts in table.rows]
        return Figure(
            "needs",
            self.t("stats.needs"),
            None,
            [self.t("stats.month"), self.t("stats.place")]
            + [self.t(f"stats.needs.{c}") for c in ("needs", "offers", "matched", "answered")],
            rows,
            self.downloads("needs"),
        )

    def animators(self) -> Figure:
        """Events per animator the public may see at their places, place by place."""
        table = stats.animator_figures(self.session, self.start, self.end, "public")
        return self._per_place("animators", table, self.t("animators.per_animator"), "animators.animator")

    def programmes(self) -> Figure:
        """Events per programme, place by place."""
        table = stats.programme_figures(self.session, self.start, self.end)
        held = dict(
            self.session.exec(
                select(Programme.iri, Programme.id).where(
                    col(Programme.iri).in_(sorted({r[0] for r in table.rows}))
                )
            ).all()
        )

        def linked(iri: str, name: str) -> Markup | str:
            """A programme held here by the link to its page; one known by IRI alone by its name."""
            if iri not in held:
                return name
            return Markup('<a href="{}">{}</a>').format(self.ask.url(f"/programmes/{held[iri]}"), name)

        figure = self._per_place(
            "programmes", table, self.t("animators.per_programme"), "animators.programme"
        )
        figure.rows = [
            [linked(r[0], row[0]), *row[1:]] for r, row in zip(table.rows, figure.rows, strict=True)
        ]
        return figure

    def _per_place(self, by: str, table: stats.Table, title: str, column: str) -> Figure:
        rows = [
            [name or key, place_name or place or self.t("stats.no_place"), events, n]
            for key, name, place, place_name, events, n in table.rows
        ]
        columns = [self.t(column), self.t("stats.place"), self.t("stats.events"), self.t("stats.occurrences")]
        return Figure(by, title, None, columns, rows, self.downloads(by))

    def breakdowns(self) -> list[Figure]:
        """Per place, department, region, theme and audience."""
        t = self.t
        return [
            self.counted("place", t("stats.by_place"), "stats.place", "stats.no_place"),
            self.counted("department", t("stats.by_department"), "stats.department", "stats.no_department"),
            self.counted("region", t("stats.by_region"), "stats.region", "stats.no_region"),
            self.counted("theme", t("stats.by_theme"), "stats.theme", "stats.none"),
            self.counted("audience", t("stats.by_audience"), "stats.audience", "stats.no_audience"),
        ]


def _named(key: str | None, label: str | None, by: str) -> str | None:
    """A department or a region by its name and code (Creuse (23)); anything else by its label."""
    if by in ("department", "region") and key and label and label != key:
        return f"{label} ({key})"
    return label
