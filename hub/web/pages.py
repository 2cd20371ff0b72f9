"""Server-rendered pages: the agenda, events, places, the skills directory, figures, sources."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
