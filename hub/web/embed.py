"""The embeddable agenda: the web component, its iframe version, and the snippet generator."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
