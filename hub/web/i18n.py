"""French by default, English on request: the language of a page, and its words."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

Lang = Literal["fr", "en"]
LANGUAGES: tuple[str, ...] = ("fr", "en")


def language(request: Request, asked: str | None = None) -> Lang:
    """`lang` when given, else the browser's first preference between French and English, else French."""
    if asked in LANGUAGES:
        return asked  # type: ignore[return-value]
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code  # type: ignore[return-value]
    return "fr"


MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "site.agenda": "Agenda",
        "site.places": "Lieux",
        "site.people": "Compétences",
        "site.stats": "Chiffres",
        "site.sources": "Sources",
        "site.skip": "Aller au contenu",
        "site.language": "English",
        "event.cancelled": "Annulé",
        "event.online": "En ligne",
        "event.free": "Gratuit",
        "event.register": "S'inscrire",
        "event.themes": "Thèmes",
        "event.where": "Où",
        "event.when": "Quand",
        "agenda.subscribe": "S'abonner (iCalendar)",
        "agenda.empty": "Aucun événement à venir.",
        "agenda.unreachable": "L'agenda n'est pas disponible pour le moment.",
        "agenda.list": "Liste",
        "agenda.week": "Semaine",
        "agenda.month": "Mois",
    },
    "en": {
        "site.agenda": "Calendar",
        "site.places": "Places",
        "site.people": "Skills",
        "site.stats": "Figures",
        "site.sources": "Sources",
        "site.skip": "Skip to content",
        "site.language": "Français",
        "event.cancelled": "Cancelled",
        "event.online": "Online",
        "event.free": "Free",
        "event.register": "Register",
        "event.themes": "Themes",
        "event.where": "Where",
        "event.when": "When",
        "agenda.subscribe": "Subscribe (iCalendar)",
        "agenda.empty": "No upcoming event.",
        "agenda.unreachable": "The calendar is not available right now.",
        "agenda.list": "List",
        "agenda.week": "Week",
        "agenda.month": "Month",
    },
}


def translator(lang: Lang):
    """`t("key")` in the page's language; a missing key shows itself, which tests catch."""
    words = MESSAGES[lang]
    return lambda key, **values: words.get(key, key).format(**values) if values else words.get(key, key)
