"""What search engines read first: robots.txt, and a sitemap of the public pages.

The sitemap names each page in French and in English, each with its alternates (`xhtml:link`,
as hreflang links in the pages do). A file holds at most 50,000 URLs (the protocol's limit):
past that, /sitemap.xml is an index of numbered files.
"""

from __future__ import annotations

import math
from datetime import UTC
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter
from starlette.responses import PlainTextResponse, Response

from hub.errors import NotFound
from hub.http.common_deps import SessionDep, SettingsDep
from hub.published import Published, count_pages, pages
from hub.store.records import utcnow
from hub.web.i18n import LANGUAGES
from hub.web.site import alternates

router = APIRouter(include_in_schema=False)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
URLS_PER_FILE = 50_000
XML_TYPE = "application/xml"
CACHE = "public, max-age=3600"
# Machines read the API; the embedded agenda belongs to the sites that show it; moving the week or
# month views by `start` leads on forever.
ROBOTS = """User-agent: *
Allow: /
Disallow: /api/
Disallow: /embed
Disallow: /*?*start=
Sitemap: {base}/sitemap.xml
"""


def _pages_per_file() -> int:
    return URLS_PER_FILE // len(LANGUAGES)


def _url_entries(base_url: str, page: Published) -> str:
    versions = alternates(base_url, page.path, {})
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang="{lang}" href={quoteattr(href)}/>' for lang, href in versions
    )
    lastmod = f"<lastmod>{page.updated.astimezone(UTC).date().isoformat()}</lastmod>" if page.updated else ""
    return "".join(
        f"<url><loc>{escape(href)}</loc>{lastmod}{links}</url>\n"
        for lang, href in versions
        if lang in LANGUAGES
    )


def _xml(body: str) -> Response:
    document = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
    return Response(document, media_type=XML_TYPE, headers={"Cache-Control": CACHE})


def _urlset(base_url: str, found: list[Published]) -> Response:
    entries = "".join(_url_entries(base_url, page) for page in found)
    return _xml(f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">\n{entries}</urlset>\n')


@router.get("/robots.txt")
def robots(settings: SettingsDep) -> Response:
    return PlainTextResponse(ROBOTS.format(base=settings.base_url), headers={"Cache-Control": CACHE})


@router.get("/sitemap.xml")
def sitemap(session: SessionDep, settings: SettingsDep) -> Response:
    """All pages in one file when they fit, else an index of the numbered files."""
    now, per_file = utcnow(), _pages_per_file()
    total = count_pages(session, now)
    if total <= per_file:
        return _urlset(settings.base_url, pages(session, now, 0, per_file))
    files = "".join(
        f"<sitemap><loc>{escape(settings.base_url)}/sitemap-{number}.xml</loc></sitemap>\n"
        for number in range(1, math.ceil(total / per_file) + 1)
    )
    return _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{files}</sitemapindex>\n')


@router.get("/sitemap-{number:int}.xml")
def sitemap_file(number: int, session: SessionDep, settings: SettingsDep) -> Response:
    """One numbered file of the sitemap index."""
    per_file = _pages_per_file()
    found = pages(session, utcnow(), (number - 1) * per_file, per_file) if number >= 1 else []
    if not found:
        raise NotFound(f"no sitemap file {number}")
    return _urlset(settings.base_url, found)
