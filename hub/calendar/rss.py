"""RSS 2.0 feed of upcoming occurrences."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, tostring


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    link: str
    when: str
    place: str | None
    description: str | None
    published: datetime
    cancelled: bool


def build_rss(items: list[FeedItem], *, title: str, link: str, self_link: str, language: str) -> bytes:
    rss = Element("rss", {"version": "2.0", "xmlns:atom": "http://www.w3.org/2005/Atom"})
    channel = SubElement(rss, "channel")
    SubElement(channel, "title").text = title
    SubElement(channel, "link").text = link
    SubElement(channel, "description").text = title
    SubElement(channel, "language").text = language
    SubElement(channel, "atom:link", {"href": self_link, "rel": "self", "type": "application/rss+xml"})
    for item in items:
        node = SubElement(channel, "item")
        prefix = (
            "[ANNULÉ] " if item.cancelled and language == "fr" else "[CANCELLED] " if item.cancelled else ""
        )
        SubElement(node, "title").text = prefix + item.title
        SubElement(node, "link").text = item.link
        SubElement(node, "guid", {"isPermaLink": "false"}).text = item.guid
        SubElement(node, "pubDate").text = format_datetime(item.published)
        summary = " — ".join(filter(None, [item.when, item.place]))
        # Descriptions are sanitized HTML already; the XML serializer escapes them as text.
        SubElement(node, "description").text = (
            f"<p>{html.escape(summary)}</p>{item.description or ''}" if summary else item.description or ""
        )
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(rss, encoding="unicode").encode()
