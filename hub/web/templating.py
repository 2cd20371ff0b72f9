"""The one Jinja environment: autoescaped, so text from sources is always text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from hub.web.i18n import Lang, translator

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
# Each static file by the first 12 hex of its SHA-256: its URL changes when it does (hub.web.assets).
VERSIONS = {
    path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    for path in STATIC.iterdir()
    if path.is_file() and not path.name.startswith(".")
}
environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def asset_url(name: str) -> str:
    """The versioned URL of a static file, which browsers may keep for a year."""
    return f"/static/{name}?v={VERSIONS[name]}"


environment.globals["asset_url"] = asset_url


def corrections_of(record) -> list[tuple[str, str]]:
    """The fields of a harvested record a hub's coordinators corrected, with the source's value
    as text (hub/federation/overrides.py): what its page says of them."""
    found = []
    for mark in orjson.loads(record.doc).get("corrections") or []:
        value = mark.get("source_value")
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
        found.append((mark.get("field", ""), shown))
    return found


environment.globals["corrections_of"] = corrections_of


def render_text(template: str, lang: Lang, **context) -> str:
    """`template` in `lang`: `t` translates, `lang` goes to `<html lang>`."""
    return environment.get_template(template).render(lang=lang, t=translator(lang), **context)


def render(
    template: str, lang: Lang, *, status: int = 200, headers: dict | None = None, **context
) -> HTMLResponse:
    """A page in `lang`."""
    return HTMLResponse(render_text(template, lang, **context), status_code=status, headers=headers)
