"""HTML from people and sources is cleaned on the way in, so every output can render it."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h3",
    "h4",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def clean_html(value: str | None) -> str | None:
    """Keep a small set of formatting tags; drop scripts, styles, handlers and unsafe URLs."""
    if value is None:
        return None
    cleaned = nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
    return cleaned or None


_BREAKS = re.compile(r"<br\s*/?>|</(p|li|h3|h4|blockquote|pre)>", re.IGNORECASE)


def text_with_paragraphs(value: str | None) -> str:
    """Text content of (already clean) HTML keeping its paragraphs and line breaks (iCalendar)."""
    if not value:
        return ""
    broken = _BREAKS.sub("\n", value)
    lines = (" ".join(line.split()) for line in html.unescape(nh3.clean(broken, tags=set())).splitlines())
    return "\n".join(line for line in lines if line)


def plain_text(value: str | None) -> str:
    """Text content of (already clean) HTML, for search and for plain-text feeds."""
    if not value:
        return ""
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())
