"""A refusal as a page says it: in the page's language, the field named in words, and no text of
a library (no pattern, no pydantic wording); the API's problem documents keep their own words."""

from __future__ import annotations

from hub.errors import HubError
from hub.web.i18n import Lang, translator

LONGEST_VALUE = 40  # characters of a value a page quotes back


def _cut(value: object) -> str:
    text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE] + "…"


def in_words(exc: HubError, lang: Lang) -> str:
    """What is wrong with a page's query, for a person reading it in `lang`."""
    t = translator(lang)

    def name(field: str) -> str:
        key = f"field.{field}"
        return t(key) if t(key) != key else t("problem.quote", value=_cut(field))

    code, params = exc.code, dict(exc.params)
    if code == "unknown_parameter":
        return " ".join(
            t("problem.unknown_parameter", name=_cut(unknown))
            + (t("problem.did_you_mean", close=name(close)) if close else "")
            for unknown, close in params["close"].items()
        )
    field = name(getattr(exc, "field", "query"))
    if "value" in params:
        params["value"] = _cut(params["value"])
    if code == "unknown_concept":
        close = ", ".join(labels[lang] for labels in params.pop("close") if labels.get(lang))
        return t("problem.unknown_concept", field=field, **params) + (
            t("problem.close", close=close) if close else ""
        )
    key = f"problem.{code}"
    return t(key, field=field, **params) if t(key) != key else t("problem.invalid", field=field)
