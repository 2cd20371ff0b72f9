"""What every page shares: the request as pages read it, the page frame, and common lookups.

Every page works without JavaScript, loads nothing from another origin and forbids scripts by
its Content-Security-Policy; text from sources is autoescaped, only sanitized descriptions are
rendered as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

import orjson
from fastapi import Request
from markupsafe import Markup
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from hub.errors import InvalidInput, NotFound
from hub.filters import M, names_of, parse_date_param, read_query, refuse_unknown
from hub.kit import geo
from hub.places.models import Place
from hub.places.service import list_places
from hub.settings import Settings
from hub.vocabulary.concepts import list_concepts
from hub.vocabulary.jsonld import JSONLD_TYPE
from hub.web.i18n import LANGUAGES, Lang, language, translator
from hub.web.templating import render
from hub.web.words import Words

# Pages run no script at all: an injected one would not run even if escaping failed.
CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; style-src 'self'"
)
RADII = (5, 10, 20, 50, 100)
# An origin a Content-Security-Policy may name: scheme, host and port, nothing that ends a directive.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")

Record = TypeVar("Record")


@dataclass
class Ask:
    """What a page request asks: its language and its non-empty query values."""

    request: Request
    settings: Settings
    lang: Lang
    values: dict[str, str]
    takes: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, request: Request, settings: Settings, *reads: type[BaseModel], also: tuple[str, ...] = ()
    ) -> Ask:
        """The request of a page reading its query with `reads` and the names in `also`."""
        values = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
        takes = names_of(*reads) | set(also)
        return cls(request, settings, language(request, values.get("lang")), values, takes)

    def read(self, model: type[M]) -> M:
        """The query values `model` names, checked as the API checks them; first, a parameter
        the page does not take is refused, named."""
        refuse_unknown(self.request.query_params.keys(), self.takes)
        try:
            return read_query(model, self.values)
        except InvalidInput as exc:
            if exc.field == "limit" and exc.code == "at_most":
                # The model's bound is the largest any instance may set: say this one's.
                exc.params["n"] = self.settings.page_size_max
            raise

    def url(self, path: str, **params: object) -> str:
        """A link within the site, keeping the language when the reader chose it."""
        if "lang" in self.values:
            params.setdefault("lang", self.lang)
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{path}?{query}" if query else path

    def here(self, **changes: object) -> str:
        """This page with some query values changed (None removes one)."""
        params = {**self.values, **changes}
        return self.url(self.request.url.path, **params)

    @property
    def zone(self):
        return self.settings.zone

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def midnight(self, day: date) -> datetime:
        return parse_date_param(day.isoformat(), "start", self.settings)


def wants_data(request: Request) -> bool:
    """Whether the client prefers JSON(-LD) to HTML (`Accept` with its q-values; ties go to HTML)."""
    best: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        media, *options = (p.strip() for p in part.split(";"))
        q = 1.0
        for option in options:
            if option.startswith("q="):
                try:
                    q = float(option[2:])
                except ValueError:
                    q = 0.0
        best[media.lower()] = max(q, best.get(media.lower(), 0.0))
    html = max(best.get("text/html", 0.0), best.get("application/xhtml+xml", 0.0))
    data = max(best.get(JSONLD_TYPE, 0.0), best.get("application/json", 0.0))
    return data > html


def jsonld_script(document: dict) -> Markup:
    """A JSON-LD document safe inside `<script>`: no `<`, `>` or `&` can end the block."""
    text = orjson.dumps(document).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def is_web(url: object) -> bool:
    """Whether a URL from a record may be a link: only http(s), never `javascript:` and the like."""
    return isinstance(url, str) and url.startswith(("http://", "https://"))


def origin_of(url: object) -> str | None:
    """The origin of an http(s) URL from a record or a setting, when a page may load images from it."""
    if not is_web(url):
        return None
    parts = urlsplit(str(url))
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if _ORIGIN.match(origin) else None


def alternates(base_url: str, path: str, values: dict[str, str]) -> list[tuple[str, str]]:
    """The absolute URL of a page in each language, and the one that follows the reader's
    browser (`x-default`): what `hreflang` links and the sitemap name."""

    def absolute(**changes: str | None) -> str:
        query = urlencode({k: v for k, v in {**values, **changes}.items() if v is not None})
        return f"{base_url}{path}?{query}" if query else f"{base_url}{path}"

    return [(lang, absolute(lang=lang)) for lang in LANGUAGES] + [("x-default", absolute(lang=None))]


def render_page(
    ask: Ask, template: str, title: str, *, status: int = 200, images: Iterable[str] = (), **context
) -> Response:
    """A page in the site's frame; `images` are the other origins it shows images from (checked
    with `origin_of`)."""
    other: Lang = "en" if ask.lang == "fr" else "fr"
    settings = ask.settings
    csp = CSP.replace("img-src 'self' data:", " ".join(["img-src 'self' data:", *sorted(set(images))]))
    nav = [
        ("/", "site.agenda"),
        ("/places", "site.places"),
        ("/people", "site.people"),
        ("/needs", "site.needs"),
    ]
    if settings.role == "hub":
        nav += [("/stats", "site.stats"), ("/sources", "site.sources")]
    nav.append(("/publish", "site.publish"))
    return render(
        template,
        ask.lang,
        status=status,
        headers={"Content-Security-Policy": csp, "Vary": "Accept, Accept-Language"},
        title=title,
        site_name=settings.name,
        nav=nav,
        path=ask.request.url.path,
        url=ask.url,
        here=ask.here,
        other_lang=other,
        other_lang_url=ask.url(ask.request.url.path, **{**ask.values, "lang": other}),
        canonical=settings.base_url + ask.here() if status == 200 else None,
        alternates=alternates(settings.base_url, ask.request.url.path, ask.values),
        words=Words(ask.lang, ask.zone),
        is_web=is_web,
        **context,
    )


def find(ask: Ask, get: Callable[[], Record]) -> Record | None:
    """The record a page shows, or None for a page saying there is none. A client asking for data
    gets the API's problem document instead."""
    try:
        return get()
    except NotFound:
        if wants_data(ask.request):
            raise
        return None


def not_found(ask: Ask) -> Response:
    t = translator(ask.lang)
    return render_page(ask, "error.html", t("error.not_found"), status=404, message=t("error.not_found.text"))


def all_places(ask: Ask, session: Session) -> list[Place]:
    """The places pages offer as choices, read once per data version."""
    limit = ask.settings.page_size_max
    choices = ask.request.app.state.page_choices
    return choices.get(session, ("places", limit), lambda: list_places(session, limit=limit).items)


def geography(places: list[Place], ask: Ask) -> tuple[list, list]:
    """The regions and departments of the places held (and the one asked, if another)."""
    departments = {p.department for p in places if p.department} | {ask.values.get("department")}
    regions = {p.region for p in places if p.region} | {ask.values.get("region")}
    return (
        [(c, f"{geo.REGIONS[c]} ({c})") for c in sorted(r for r in regions if r in geo.REGIONS)],
        [
            (c, f"{geo.DEPARTMENTS[c][0]} ({c})")
            for c in sorted(d for d in departments if d in geo.DEPARTMENTS)
        ],
    )


def near_options(places: list[Place], ask: Ask) -> list[tuple[str, str]]:
    """The choices of "near": the places themselves, and a point typed in the URL if another."""
    options = [(f"{p.lat},{p.lon}", p.name) for p in places if p.lat is not None and p.lon is not None]
    asked = ask.values.get("near")
    if asked and asked not in dict(options):
        options.append((asked, asked))
    return options


@dataclass(frozen=True)
class Theme:
    """A theme of the thesaurus as a choice: its id, its label, how deep it sits."""

    id: str
    label: str
    depth: int


def theme_tree(request: Request, session: Session, lang: Lang) -> list[Theme]:
    """The themes of the thesaurus, each narrower one right after its broader one, read once per
    data version."""
    return request.app.state.page_choices.get(session, ("themes", lang), lambda: _theme_tree(session, lang))


def _theme_tree(session: Session, lang: Lang) -> list[Theme]:
    concepts = list_concepts(session, "theme", limit=1000, cursor=None, q=None, broader=None).items
    known = {c.iri for c in concepts}
    children: dict[str | None, list] = {}
    for concept in concepts:
        children.setdefault(concept.broader_iri if concept.broader_iri in known else None, []).append(concept)

    def label(concept) -> str:
        return concept.pref_label_fr if lang == "fr" else concept.pref_label_en

    def below(parent: str | None, depth: int) -> list[Theme]:
        found = []
        for concept in sorted(children.get(parent, []), key=lambda c: label(c).casefold()):
            found.append(Theme(concept.iri.rsplit("/", 1)[-1], label(concept), depth))
            found += below(concept.iri, depth + 1)
        return found

    return below(None, 0)
