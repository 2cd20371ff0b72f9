"""Fetching sources safely over HTTP, on aiohttp (chosen by measurement: see bench/RESULTS.md).

Every address a request would reach is checked when the name is resolved, so what is checked
is what is connected to; redirects are followed by hand, each hop checked again; bodies are
read as a stream and cut at the size limit after decompression; timeouts bound connecting and
each read, and one deadline bounds a whole fetch, its retries, waits and redirects included (a
source trickling a byte a second fails at that deadline, not once per attempt); transient
failures are retried with backoff and jitter, and `Retry-After` is honoured.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from hub import __version__
from hub.federation.errors import (
    ConnectionFailed,
    FetchError,
    HttpStatus,
    RateLimited,
    RefusedAddress,
    SourceTimeout,
    TooLarge,
    TooManyRedirects,
)
from hub.settings import Settings

USER_AGENT = f"tiers-lieux-hub/{__version__} (+https://w3id.org/tiers-lieux)"
# What signs a request to a URL: the headers to add to it (an HTTP Signature, hub/activitypub).
Signer = Callable[[str], dict[str, str]]
RETRY_STATUSES = {429, 500, 502, 503, 504}
# What a refused address says, so that an operator knows which setting would allow it.
ALLOW_PRIVATE = "allowed only by HUB_ALLOW_PRIVATE_SOURCES=true or HUB_ALLOWED_PRIVATE_NETWORKS"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses sources may live at: public ones, and private ones only when allowed."""

    allow_private: bool = False
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> AddressPolicy:
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in settings.allowed_private_networks)
        return cls(settings.allow_private_sources, networks)

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_unspecified or ip.is_multicast:
            return False
        if ip.is_global or self.allow_private:
            return True
        return any(ip in network for network in self.allowed_networks)


class GuardedResolver(AbstractResolver):
    """Resolves names with `inner`, and refuses the whole answer if one address is not allowed."""

    def __init__(self, inner: AbstractResolver, policy: AddressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        try:
            answers: list[ResolveResult] = await self.inner.resolve(host, port, family)
        except OSError as exc:
            raise ConnectionFailed(f"the name {host!r} does not resolve: {exc}") from exc
        for answer in answers:
            if not self.policy.allows(answer["host"]):
                raise RefusedAddress(
                    f"{host} resolves to {answer['host']}, a private, loopback or link-local address, "
                    + ALLOW_PRIVATE
                )
        return answers

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class FetchResult:
    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    requests: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class Fetcher:
    """One shared HTTP client for a harvest run, with the limits of the settings."""

    settings: Settings
    resolver: AbstractResolver | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _session: aiohttp.ClientSession | None = None
    _hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _all: asyncio.Semaphore | None = None
    _policy: AddressPolicy = field(default_factory=AddressPolicy)
    _hosts_allowed: dict[str, bool] = field(default_factory=dict)

    async def __aenter__(self) -> Fetcher:
        self._policy = AddressPolicy.of(self.settings)
        resolver = GuardedResolver(self.resolver or aiohttp.ThreadedResolver(), self._policy)
        connector = aiohttp.TCPConnector(
            resolver=resolver, limit=self.settings.harvest_concurrency, ttl_dns_cache=300
        )
        # No total per request: `get` holds one deadline for all its requests.
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=self.settings.harvest_connect_timeout,
            sock_read=self.settings.harvest_read_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers={"User-Agent": USER_AGENT}, auto_decompress=True
        )
        self._all = asyncio.Semaphore(self.settings.harvest_concurrency)
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._session is not None:
            await self._session.close()

    def _check_url(self, url: str) -> str:
        """The URL's host, once its scheme and, for an address written out, the address are
        allowed; a name is checked when it resolves. Verdicts on hosts are kept for the run."""
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in {"http", "https"} or not host:
            raise RefusedAddress(f"{url!r} is not an http(s) URL")
        allowed = self._hosts_allowed.get(host)
        if allowed is None:
            try:
                allowed = self._policy.allows(str(ipaddress.ip_address(host)))
            except ValueError:
                allowed = True  # a name: checked when resolved
            self._hosts_allowed[host] = allowed
        if not allowed:
            raise RefusedAddress(f"{host} is a private, loopback or link-local address, {ALLOW_PRIVATE}")
        return host

    async def get(
        self,
        url: str,
        *,
        accept: str,
        etag: str | None = None,
        last_modified: str | None = None,
        token: str | None = None,
        sign: Signer | None = None,
    ) -> FetchResult:
        """GET with conditional headers, retries and every safety rule, within one deadline
        (`harvest_total_timeout`) for all of it; `sign` gives the headers signing a request to a
        URL (an HTTP Signature, made again for each redirect and retry). Raises FetchError."""
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if token:
            headers["Authorization"] = f"Bearer {token}"
        total = self.settings.harvest_total_timeout
        ends = asyncio.get_running_loop().time() + total
        try:
            async with asyncio.timeout_at(ends):
                return await self._attempts(url, headers, ends, sign)
        except TimeoutError as exc:
            raise SourceTimeout(f"{url} took more than {total:g} s in all, retries included") from exc

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """One POST under the same rules as a GET (address guard, per-host limit, one deadline,
        the answer read within the size limit), no redirect followed and no retry: the caller's
        queue retries. Returns the status; raises FetchError when no answer came."""
        host = self._check_url(url)
        gate = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.harvest_per_host))
        assert self._session is not None and self._all is not None, "use the Fetcher as a context manager"
        total = self.settings.harvest_total_timeout
        try:
            async with (
                asyncio.timeout(total),
                self._all,
                gate,
                self._session.post(url, data=body, headers=headers, allow_redirects=False) as answer,
            ):
                await self._read(answer, url)
                return answer.status
        except FetchError:
            raise
        except TimeoutError as exc:
            raise SourceTimeout(f"{url} took more than {total:g} s to answer") from exc
        except (aiohttp.ClientError, OSError) as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, FetchError) else None
            if cause is not None:
                raise cause from exc
            raise ConnectionFailed(f"{url}: {_why_not_connected(exc)}") from exc

    async def _attempts(
        self, url: str, headers: dict[str, str], ends: float, sign: Signer | None
    ) -> FetchResult:
        """The request and its retries; a retry whose wait would end past `ends` is not made."""
        retries = self.settings.harvest_retries
        attempts = 0
        while True:
            attempts += 1
            try:
                result = await self._follow(url, headers, sign)
            except (SourceTimeout, ConnectionFailed):
                wait = self._backoff(attempts)
                if attempts > retries or not _before(wait, ends):
                    raise
                await self.sleep(wait)
                continue
            except _Retryable as retry:
                later = retry.retry_after
                if later is not None and (
                    later > self.settings.harvest_max_retry_after or not _before(later, ends)
                ):
                    raise RateLimited(
                        f"{retry.message}; asked to come back in {later:.0f} s",
                        datetime.now(UTC) + timedelta(seconds=later),
                    ) from None
                wait = later if later is not None else self._backoff(attempts)
                if attempts > retries or not _before(wait, ends):
                    if later is not None:
                        raise RateLimited(
                            retry.message, datetime.now(UTC) + timedelta(seconds=later)
                        ) from None
                    raise HttpStatus(retry.message, retry.status) from None
                await self.sleep(wait)
                continue
            result.requests = attempts
            return result

    def _backoff(self, attempt: int) -> float:
        return min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random())

    async def _follow(self, url: str, headers: dict[str, str], sign: Signer | None) -> FetchResult:
        for _ in range(self.settings.harvest_max_redirects + 1):
            host = self._check_url(url)
            gate = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.harvest_per_host))
            async with self._all, gate:
                result = await self._once(url, headers | sign(url) if sign else headers)
            if isinstance(result, str):
                if urlsplit(result).netloc != urlsplit(url).netloc:
                    headers = {k: v for k, v in headers.items() if k != "Authorization"}
                url = result
                continue
            return result
        raise TooManyRedirects(f"more than {self.settings.harvest_max_redirects} redirects from {url}")

    async def _once(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        """One request: a result, or the URL a redirect points to."""
        assert self._session is not None, "use the Fetcher as an async context manager"
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise HttpStatus(f"redirect without Location from {url}", response.status)
                    return urljoin(url, location)
                if response.status in RETRY_STATUSES:
                    raise _Retryable(
                        f"{url} answered {response.status}", response.status, _retry_after(response.headers)
                    )
                if response.status >= 400:
                    raise HttpStatus(
                        f"{url} answered {response.status} {response.reason or ''}".strip(), response.status
                    )
                body = b"" if response.status == 304 else await self._read(response, url)
                return FetchResult(
                    url=url,
                    status=response.status,
                    body=body,
                    content_type=response.headers.get("Content-Type", ""),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except FetchError:
            raise
        except _Retryable:
            raise
        except TimeoutError as exc:
            raise SourceTimeout(f"{url} took too long to answer") from exc
        except aiohttp.ClientResponseError as exc:
            raise ConnectionFailed(f"{url}: malformed HTTP response ({exc.message})") from exc
        except aiohttp.ClientPayloadError as exc:
            raise ConnectionFailed(f"{url}: the body was cut or corrupt ({exc})") from exc
        except (aiohttp.ClientError, OSError) as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, FetchError) else None
            if cause is not None:
                raise cause from exc
            raise ConnectionFailed(f"{url}: {_why_not_connected(exc)}") from exc

    async def _read(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        limit = self.settings.harvest_max_bytes
        declared = response.content_length
        if (
            declared is not None
            and declared > limit
            and "gzip" not in response.headers.get("Content-Encoding", "")
        ):
            raise TooLarge(f"{url} announces {declared} bytes, more than the limit of {limit}")
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"{url} sent more than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _why_not_connected(exc: Exception) -> str:
    """A failed connection in words, without the client library's own (`ssl:default [...]`)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return "its TLS certificate or handshake is not valid"
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        reason = os.strerror(error.errno) if error.errno else type(error).__name__
        return f"cannot connect to {exc.host}:{exc.port} ({reason.lower()})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection before answering"
    return f"the connection failed ({type(exc).__name__})"


def _before(wait: float, ends: float) -> bool:
    """Whether waiting `wait` seconds still leaves time before `ends` (event-loop time)."""
    return asyncio.get_running_loop().time() + wait < ends


class _Retryable(Exception):
    def __init__(self, message: str, status: int, retry_after: float | None) -> None:
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
