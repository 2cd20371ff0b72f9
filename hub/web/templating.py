"""The one Jinja environment: autoescaped, so text from sources is always text."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from hub.web.i18n import Lang, translator

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    template: str, lang: Lang, *, status: int = 200, headers: dict | None = None, **context
) -> HTMLResponse:
    """A page in `lang`: `t` translates, `lang` goes to `<html lang>`."""
    body = environment.get_template(template).render(lang=lang, t=translator(lang), **context)
    return HTMLResponse(body, status_code=status, headers=headers)
