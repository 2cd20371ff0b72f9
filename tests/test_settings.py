"""One settings object, from HUB_* variables, refusing unsafe values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.settings import Settings


def test_settings_come_from_hub_variables(monkeypatch):
    monkeypatch.setenv("HUB_ROLE", "hub")
    monkeypatch.setenv("HUB_BASE_URL", "https://hub.example.org/")
    settings = Settings(_env_file=None)
    assert settings.role == "hub"
    assert settings.base_url == "https://hub.example.org"


def test_production_refuses_a_placeholder_admin_token():
    with pytest.raises(ValidationError, match=r"HUB_ADMIN_TOKEN .* HUB_ENVIRONMENT=production"):
        Settings(_env_file=None, environment="production", admin_token="changeme")


def test_production_refuses_private_sources():
    with pytest.raises(ValidationError, match="HUB_ALLOW_PRIVATE_SOURCES must stay off"):
        Settings(_env_file=None, environment="production", allow_private_sources=True)


def test_unknown_zone_is_refused():
    with pytest.raises(ValidationError, match="time zone"):
        Settings(_env_file=None, timezone="Europe/Atlantis")
