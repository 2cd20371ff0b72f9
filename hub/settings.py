"""The one settings object: every knob of a node or a hub, read from `HUB_*` variables."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import timedelta
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "admin"}
# The largest page an instance may be set to answer: the bound of `limit` in the OpenAPI documents.
PAGE_SIZE_CEILING = 5000


class Settings(BaseSettings):
    """Settings of one instance. Build one and pass it to `create_app` or the CLI."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    role: Literal["node", "hub"] = Field(
        "node", description="`node` serves its own data; `hub` also harvests sources."
    )
    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses unsafe values such as a placeholder admin token.",
    )
    database_url: str = Field(
        "sqlite:///hub.store.db",
        description="SQLAlchemy URL: `sqlite:///path.db` (default) or `postgresql+psycopg://user@host/db`.",
    )
    database_schema: str | None = Field(
        None, description="PostgreSQL schema to use (tests give each run its own)."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public base URL of this instance; every record IRI is minted under it.",
    )
    name: str = Field("Tiers-lieux node", description="Human name of this node or hub.")
    admin_token: str | None = Field(
        None,
        description="Bootstrap admin bearer token (write and admin scopes). Prefer `hub tokens create`.",
    )
    timezone: str = Field("Europe/Paris", description="Default time zone for dates given without one.")
    horizon_days_ahead: int = Field(
        365, ge=1, le=3650, description="Recurring events are expanded this many days ahead."
    )
    horizon_days_back: int = Field(92, ge=0, le=3650, description="...and this many days back.")
    page_size_default: int = Field(
        50,
        ge=1,
        le=PAGE_SIZE_CEILING,
        description="Items answered when `limit` is absent: lists, the change feed, RSS and the embed.",
    )
    page_size_max: int = Field(
        500,
        ge=1,
        le=PAGE_SIZE_CEILING,
        description="Largest `limit` anywhere; a calendar (.ics) feed, which has no next page, "
        "holds this many series when `limit` is absent.",
    )
    tombstone_retention_days: int = Field(
        90,
        ge=1,
        description="Tombstones are kept this long; an older change-feed cursor gets 410 Gone.",
    )
    need_days_default: int = Field(
        60, ge=1, le=366, description="Days a need or an offer stays open when its author gives no end."
    )
    need_days_max: int = Field(
        180, ge=1, le=366, description="Most days ahead a need or an offer may stay open."
    )
    need_keep_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days an expired need or offer is kept (its author may still close it) before it "
        "is deleted, with the requests to be put in touch it got.",
    )
    allow_private_sources: bool = Field(
        False,
        description="Allow harvesting sources on private, loopback or link-local addresses (tests, demo).",
    )
    allowed_private_networks: list[str] = Field(
        [],
        description="Private networks allowed as sources even when private sources are refused, "
        'e.g. ["127.0.0.1/32"] for a demo on one machine.',
    )
    harvest_concurrency: int = Field(50, ge=1, le=1000, description="Sources fetched at once.")
    harvest_per_host: int = Field(6, ge=1, le=100, description="Requests at once to one host.")
    harvest_connect_timeout: float = Field(10, gt=0, description="Seconds to connect to a source.")
    harvest_read_timeout: float = Field(30, gt=0, description="Seconds of silence tolerated while reading.")
    harvest_total_timeout: float = Field(
        120, gt=0, description="Seconds one fetch may take in all, its retries, waits and redirects included."
    )
    harvest_max_bytes: int = Field(
        20_000_000, ge=1000, description="Largest body accepted (after decompression)."
    )
    harvest_max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed, each re-checked.")
    harvest_retries: int = Field(2, ge=0, le=10, description="Retries of a failed request, with backoff.")
    harvest_max_retry_after: float = Field(
        60,
        ge=0,
        description="Longest Retry-After waited inside a harvest; longer ones reschedule the source.",
    )
    harvest_interval_seconds: int = Field(
        3600, ge=60, description="Default interval between harvests of a source."
    )
    harvest_page_size: int = Field(
        200,
        ge=1,
        le=500,
        description="Records asked per change-feed page (nodes refuse more than their"
        " `HUB_PAGE_SIZE_MAX`, 500 by default); events of a calendar read and applied at a time.",
    )
    harvest_max_pages: int = Field(
        500,
        ge=1,
        description="Change-feed pages applied per harvest of a source; a source with more is harvested "
        "again soon, from its cursor.",
    )
    harvest_source_timeout: float = Field(
        1800, gt=0, description="Seconds one harvest of a source may take in all; what was applied stays."
    )
    harvest_round_timeout: float = Field(
        3300,
        gt=0,
        description="Seconds one round of harvests may take in all; sources left unfinished are "
        "recorded as timed out.",
    )
    harvest_in_process: bool = Field(
        True, description="On SQLite, `hub serve --role hub` harvests due sources itself."
    )
    read_threads: int = Field(
        0,
        ge=0,
        le=200,
        description="Threads a process runs its database reads on; 0: as many as the machine has "
        "cores on SQLite (more only slow each other down), 40 on PostgreSQL.",
    )
    cors_origins: list[str] = Field(
        ["*"], description="Origins allowed to read the API from a browser (writes are never open)."
    )
    rate_limit_per_minute: int = Field(
        120,
        ge=0,
        description="Expensive reads (text searches, figures, pages) an anonymous client may make per "
        "minute, in each API process; 0 turns the limit off.",
    )
    rate_limit_burst: int = Field(
        60, ge=1, description="...and at once, before that rate applies (the size of its token bucket)."
    )
    map_tile_url: str | None = Field(
        None,
        description="Map tiles under the locator of an event's place, as an http(s) URL with `{z}`, `{x}` "
        "and `{y}` (e.g. your own tile server); none by default: the locator is drawn from the places "
        "held, and pages ask no other server.",
    )
    map_tile_attribution: str = Field(
        "", max_length=200, description="Credit the tile server asks for, shown under the map."
    )

    activitypub_enabled: bool = Field(
        True,
        description="Publish this instance as an ActivityPub actor (WebFinger, actor, outbox, inbox, "
        "NodeInfo), so Mastodon or Mobilizon users can follow it and see its events.",
    )
    activitypub_handle: str | None = Field(
        None,
        min_length=1,
        max_length=30,
        pattern=r"^[a-z0-9_]+$",
        description="The actor's user name, followed as `@handle@host`; unset: made from HUB_NAME "
        "(`Tiers-lieux node` gives `tiers_lieux_node`).",
    )
    activitypub_signature_skew_seconds: int = Field(
        900,
        ge=30,
        le=43200,
        description="How far the `Date` of a signed request to the inbox may be from now, either way.",
    )
    activitypub_inbox_max_bytes: int = Field(
        262_144, ge=1024, le=10_000_000, description="Largest activity the inbox reads."
    )
    activitypub_key_cache_seconds: int = Field(
        3600, ge=0, description="Seconds the public key of a remote actor is kept before it is fetched again."
    )
    activitypub_delivery_attempts: int = Field(
        8,
        ge=1,
        le=30,
        description="Attempts to deliver an activity to an inbox, with growing waits, before it is dropped.",
    )
    activitypub_delivery_batch: int = Field(
        200, ge=1, le=5000, description="Deliveries sent per pass of the delivery worker."
    )
    activitypub_delivery_interval_seconds: float = Field(
        10, gt=0, description="Seconds between two passes of the in-process delivery worker."
    )

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or not all(
            part in value for part in ("{z}", "{x}", "{y}")
        ):
            raise ValueError("map_tile_url must be an http(s) URL holding {z}, {x} and {y}")
        if not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", urlsplit(value).netloc):
            # The pages allow images from this one host by name: no {s} subdomains, no credentials.
            raise ValueError("map_tile_url must name one host (no {s}, no user:password@)")
        return value

    session_secret: str | None = Field(
        None,
        description="Key signing the sign-in cookies of the publishing pages (32+ characters); every "
        "process serving the pages needs the same one. Unset: a random key per process, so sessions end "
        "when it restarts.",
    )
    session_hours: int = Field(
        12, ge=1, le=24 * 30, description="Hours a sign-in to the publishing pages lasts."
    )
    wall_poll_seconds: float = Field(
        1.0,
        ge=0.05,
        le=60,
        description="Seconds between two looks at the data version for the open live walls (one look "
        "per process, whatever the number of walls).",
    )
    wall_streams_max: int = Field(
        200,
        ge=1,
        le=10_000,
        description="Live walls one process keeps informed at once; past it, `503` (the wall still "
        "refreshes every minute).",
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("allowed_private_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network: {network!r}") from exc
        return value

    @field_validator("database_schema")
    @classmethod
    def _safe_schema(cls, value: str | None) -> str | None:
        if value is not None and not value.replace("_", "").isalnum():
            raise ValueError("database_schema must be letters, digits and underscores")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.admin_token is not None and (
                self.admin_token.lower() in PLACEHOLDER_SECRETS or len(self.admin_token) < 24
            ):
                raise ValueError(
                    "HUB_ADMIN_TOKEN is a placeholder or shorter than 24 characters, "
                    "refused while HUB_ENVIRONMENT=production"
                )
            if self.session_secret is not None and len(self.session_secret) < 32:
                raise ValueError(
                    "HUB_SESSION_SECRET is shorter than 32 characters, "
                    "refused while HUB_ENVIRONMENT=production"
                )
            if self.allow_private_sources:
                raise ValueError(
                    "HUB_ALLOW_PRIVATE_SOURCES must stay off while HUB_ENVIRONMENT=production "
                    "(HUB_ALLOWED_PRIVATE_NETWORKS names the private networks to allow)"
                )
        if self.page_size_default > self.page_size_max:
            raise ValueError("page_size_default is larger than page_size_max")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def horizon_ahead(self) -> timedelta:
        return timedelta(days=self.horizon_days_ahead)

    @property
    def horizon_back(self) -> timedelta:
        return timedelta(days=self.horizon_days_back)

    @property
    def activitypub_name(self) -> str:
        """The actor's user name: the setting, else the instance's name folded to `[a-z0-9_]`."""
        if self.activitypub_handle:
            return self.activitypub_handle
        folded = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:30].strip("_") or "agenda"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
