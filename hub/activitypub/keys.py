"""The instance actor's RSA key pair: 2048 bits, made once, kept in the database; the private key
never leaves the process."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from hub.activitypub.documents import Names
from hub.activitypub.models import ActorKey
from hub.activitypub.signatures import get_signer
from hub.federation.fetch import Signer
from hub.settings import Settings

KEY_BITS = 2048


def _new_pair() -> ActorKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return ActorKey(id=1, private_pem=private_pem, public_pem=public_pem)


def stored_key(session: Session) -> ActorKey | None:
    """The key pair, if made already (read without taking the write lock)."""
    return session.get(ActorKey, 1)


def actor_key(session: Session) -> ActorKey:
    """The key pair, made and stored the first time (two processes racing keep the first stored)."""
    key = session.get(ActorKey, 1)
    if key is not None:
        return key
    try:
        with session.begin_nested():
            key = _new_pair()
            session.add(key)
    except IntegrityError:
        key = session.get(ActorKey, 1)
        assert key is not None
    return key


def instance_signer(settings: Settings, key: ActorKey) -> Signer:
    """What signs the instance actor's GETs (hub/activitypub/signatures.py)."""
    return get_signer(Names(settings).key_id, private_key(key.private_pem))


@lru_cache(maxsize=4)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    """The loaded private key of a PEM (loading costs milliseconds: kept per process)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the stored key is not an RSA key")
    return key
