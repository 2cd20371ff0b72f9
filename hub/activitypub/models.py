"""The tables of ActivityPub publishing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from hub.store.records import utcnow


class ActorKey(SQLModel, table=True):
    """The instance actor's RSA key pair: one row, made the first time it is needed."""

    __tablename__ = "ap_key"

    id: int = Field(default=1, primary_key=True)
    private_pem: str = Field(sa_type=Text)
    public_pem: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class Follower(SQLModel, table=True):
    """A remote actor following this instance, with where to deliver to it."""

    __tablename__ = "ap_follower"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=500, unique=True)
    inbox: str = Field(max_length=500)
    shared_inbox: str | None = Field(default=None, max_length=500)
    followed_at: datetime = Field(default_factory=utcnow)


class Following(SQLModel, table=True):
    """A remote actor this instance follows; `accepted` once it answered Accept(Follow)."""

    __tablename__ = "ap_following"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=500, unique=True)
    follow_id: str = Field(max_length=500)
    accepted: bool = False
    asked_at: datetime = Field(default_factory=utcnow)


class Received(SQLModel, table=True):
    """An activity a followed actor sent to the inbox (Create, Update, Delete of its objects)."""

    __tablename__ = "ap_received"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=500, index=True)
    type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=500)
    activity: str = Field(sa_type=Text)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class Delivery(SQLModel, table=True):
    """One activity to POST to one inbox, retried with growing waits until it lands or runs out."""

    __tablename__ = "ap_delivery"

    id: int | None = Field(default=None, primary_key=True)
    inbox: str = Field(max_length=500)
    activity: str = Field(sa_type=Text)
    attempts: int = 0
    due_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class Announced(SQLModel, table=True):
    """An event whose Create was published, under the object id it was published as: what is
    published again is an Update, and a deleted one gets a Delete of that id."""

    __tablename__ = "ap_announced"

    iri: str = Field(max_length=500, primary_key=True)
    object_id: str = Field(max_length=500)
    published_at: datetime = Field(default_factory=utcnow)
