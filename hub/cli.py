"""The `hub` command."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub.settings import Settings

console = Console()


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "role", None):
        overrides["role"] = args.role
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            # Each refusal under the variable's name; a check of the whole names its variables.
            name = "HUB_" + "_".join(str(part) for part in error["loc"]).upper() if error["loc"] else None
            message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
            console.print("[red]Invalid settings:[/red] " + escape(f"{name}: {message}" if name else message))
        raise SystemExit(2) from exc


def _engine(settings: Settings):
    from hub.store.db import make_engine

    return make_engine(settings.database_url, settings.database_schema)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hub.api.app import create_app, freeze_heap
    from hub.observability import configure_logging
    from hub.web.live import SHUTDOWN_GRACE_SECONDS

    settings = _settings(args)
    configure_logging()
    app = create_app(settings)
    freeze_heap()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from hub.setup import upgrade

    settings = _settings(args)
    loaded = upgrade(_engine(settings), settings.database_schema)
    console.print(
        f"Database at head. Thesauri: {loaded or 'unchanged'}{' concepts loaded' if loaded else ''}."
    )


def cmd_db_new_epoch(args: argparse.Namespace) -> None:
    from hub.setup import new_feed_epoch

    new_feed_epoch(_engine(_settings(args)))
    console.print("The change feed has a new epoch: hubs harvesting this instance will resync.")


def cmd_tokens_create(args: argparse.Namespace) -> None:
    from hub.auth.tokens import create_token
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        token, clear = create_token(session, args.name, args.scope)
    console.print(f"Token {token.id} ({', '.join(token.scopes)}) for {token.name!r}. Shown once:")
    print(clear)


def cmd_tokens_list(args: argparse.Namespace) -> None:
    from hub.auth.tokens import list_tokens
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        tokens = list_tokens(session)
    table = Table("id", "name", "scopes", "created", "revoked")
    for t in tokens:
        table.add_row(
            str(t.id), t.name, ", ".join(t.scopes), f"{t.created_at:%Y-%m-%d %H:%M}", f"{t.revoked_at or ''}"
        )
    console.print(table)


def cmd_tokens_revoke(args: argparse.Namespace) -> None:
    from hub.auth.tokens import revoke_token
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        revoke_token(session, args.id)
    console.print(f"Token {args.id} revoked.")


def cmd_openapi(args: argparse.Namespace) -> None:
    from hub.api.app import create_app

    settings = _settings(args).model_copy(update={"database_url": "sqlite://"})
    document = json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)


def short_url(url: str, width: int = 30) -> str:
    """A URL as a table shows it: host and path without the scheme, cut in the middle past `width`."""
    parts = urlsplit(url)
    shown = (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")
    if len(shown) <= width:
        return shown
    keep = width - 1
    return shown[: keep - keep // 2] + "…" + shown[len(shown) - keep // 2 :]


def _check(settings: Settings, data):
    """`data` with the kind its URL answered as, unless told not to check; exits 1 saying why not."""
    import asyncio

    from hub.federation.registry import SourceRefused, checked_source

    try:
        data, checked = asyncio.run(checked_source(settings, data))
    except SourceRefused as exc:
        advice = {
            "refused": "",  # its message names the settings that allow it
            "unrecognized": "; give its --kind if you know it better, or --no-check to add it anyway",
            "unreachable": "; --no-check adds it anyway (its harvests will say how it goes)",
        }[exc.verdict]
        console.print(
            f"[red]Not added, {exc.verdict}:[/red] "
            + escape(f"{data.url} ({exc.reason.kind}): {exc.reason.message}{advice}")
        )
        raise SystemExit(1) from exc
    if checked is not None:
        found = {
            "node": f"a node, {checked.name!r}",
            "ics": f"an iCalendar file ({checked.events} events in its first page)",
            "jsonld": f"a web page with schema.org events ({checked.events})",
            "mobilizon": "a Mobilizon group or instance (its outbox is read at each harvest)",
            "gancio": f"a Gancio ({checked.events} upcoming events in its first page)",
        }[checked.kind]
        console.print(escape(f"Checked: {data.url} answers, {found}."))
    return data


def cmd_sources_add(args: argparse.Namespace) -> None:
    from hub.federation.registry import SourceIn, add_source, unregistered
    from hub.store.db import session_scope

    settings = _settings(args)
    data = SourceIn(
        url=args.url,
        kind=args.kind,
        name=args.name,
        place=args.place,
        token=args.token,
        interval_seconds=args.interval,
        check=args.check,
    )
    engine = _engine(settings)
    with session_scope(engine) as session:
        unregistered(session, data.url)
    data = _check(settings, data)
    with session_scope(engine) as session:
        source = add_source(session, data, default_interval=settings.harvest_interval_seconds)
    unchecked = "" if args.check else ", not checked"
    console.print(escape(f"Source {source.id} added: {source.url} ({source.kind}{unchecked})."))


# How the tables of sources show their columns, by header.
NUMBERS = {"#", "new", "upd.", "same", "del.", "quar.", "records", "failures"}
WORDS = {"outcome", "health", "what is wrong"}
TIMES = {"last success", "since"}
URL = re.compile(r"https?://([^\s?]+)(\?\S*?)?(?=[:;,)]?(\s|$))")


def _table(title: str, *columns: str) -> Table:
    """A table that fits 80 columns: no borders but under its header, a source as host and path."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for header in columns:
        if header == "source":
            table.add_column(header, overflow="ellipsis", max_width=30)
        elif header in WORDS:
            table.add_column(header, min_width=15)
        elif header in TIMES:
            table.add_column(header, no_wrap=True)
        else:
            table.add_column(header, justify="right" if header in NUMBERS else "left")
    return table


def _why(source_id: int, url: str, label: str, message: str, color: str = "red") -> str:
    """One line under a table: which source, what kind of trouble, and the message with its URLs
    as host and path (the source's own, which starts the line, not again)."""
    where = short_url(url, 60)
    said = URL.sub(lambda m: m[1].rstrip("/") + ("?…" if m[2] else ""), message).removeprefix(where + ": ")
    return f"[{color}]#{source_id} {escape(where)}[/{color}] ({label}) " + escape(said)


def _short_time(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def _sources_table(items, title: str) -> Table:
    table = _table(title, "#", "source", "kind", "records", "quar.", "last success", "health")
    for s in items:
        health = f"[red]{s.last_error_kind}[/red]" if s.consecutive_failures else "ok"
        if s.flagged:
            health += " [yellow]flagged[/yellow]"
        table.add_row(
            str(s.id),
            escape(short_url(s.url)),
            s.kind,
            str(s.records_held),
            str(s.records_quarantined),
            _short_time(s.last_success_at) or "never",
            health,
        )
    return table


def cmd_sources_list(args: argparse.Namespace) -> None:
    from hub.federation.registry import describe, list_sources
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        items = describe(session, list_sources(session))
    console.print(_sources_table(items, "Sources"))


def cmd_sources_health(args: argparse.Namespace) -> None:
    from hub.federation.registry import describe, list_sources
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        items = describe(session, list_sources(session, failing_only=True))
    if not items:
        console.print("Every source is healthy.")
        return
    table = _table("Failing or flagged sources", "#", "source", "what is wrong", "since", "failures")
    for s in items:
        wrong = s.last_error_kind if s.consecutive_failures else "flagged"
        table.add_row(
            str(s.id),
            escape(short_url(s.url)),
            wrong,
            _short_time(s.failing_since),
            str(s.consecutive_failures),
        )
    console.print(table)
    for s in items:
        if s.consecutive_failures:
            console.print(_why(s.id, s.url, s.last_error_kind or "error", s.last_error or ""))
        if s.flagged:
            console.print(_why(s.id, s.url, "flagged", s.flagged, "yellow"))


def cmd_sources_remove(args: argparse.Namespace) -> None:
    from hub.federation.registry import remove_source
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        removed = remove_source(session, args.source)
    console.print(f"Source {args.source} removed, with the {removed} records it brought.")


def cmd_harvest(args: argparse.Namespace) -> None:
    import asyncio
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hub.federation.harvester import all_sources, harvest_many

    settings = _settings(args)
    engine = _engine(settings)
    # Each failure is said once, below the table, rather than also logged as it happens.
    logging.getLogger("hub.federation").setLevel(logging.ERROR)
    ids = [int(i) for i in args.source] if args.source else all_sources(engine)
    started = time.perf_counter()
    with Progress(
        TextColumn("Harvesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("harvest", total=len(ids))
        reports = asyncio.run(harvest_many(engine, settings, ids, on_done=lambda _: progress.advance(task)))
    elapsed = time.perf_counter() - started
    console.print(_harvest_table(reports, f"Harvest of {len(reports)} sources in {elapsed:.2f} s"))
    for r in sorted(reports, key=lambda r: r.source_id):
        if r.error:
            console.print(_why(r.source_id, r.url, r.error_kind or "error", r.error))
        if r.flagged:
            console.print(_why(r.source_id, r.url, "flagged", r.flagged, "yellow"))
    totals = [sum(getattr(r.stats, k) for r in reports) for k in ("new", "updated", "deleted", "quarantined")]
    failed = sum(1 for r in reports if r.error)
    console.print(
        f"new {totals[0]}, updated {totals[1]}, deleted {totals[2]}, quarantined {totals[3]}, "
        f"requests {sum(r.requests for r in reports)}, failed sources {failed}"
    )
    if failed and not args.allow_failures:
        console.print(f"{failed} of {len(reports)} sources failed (--allow-failures exits 0 all the same).")
        raise SystemExit(1)


def _harvest_table(reports, title: str) -> Table:
    """One line a source, narrow enough for 80 columns: the failures' words come below it."""
    table = _table(title, "#", "source", "new", "upd.", "same", "del.", "quar.", "outcome")
    for r in sorted(reports, key=lambda r: r.source_id):
        outcome = f"[red]{r.error_kind}[/red]" if r.error else "not modified" if r.not_modified else "ok"
        if r.flagged:
            outcome += " [yellow]flagged[/yellow]"
        s = r.stats
        counts = (s.new, s.updated, s.unchanged, s.deleted, s.quarantined)
        table.add_row(str(r.source_id), escape(short_url(r.url)), *map(str, counts), outcome)
    return table


def cmd_worker(args: argparse.Namespace) -> None:
    import asyncio

    from hub.federation.jobs import procrastinate_app
    from hub.observability import configure_logging

    settings = _settings(args)
    configure_logging()
    engine = _engine(settings)
    if engine.dialect.name != "postgresql":
        console.print(
            "[red]`hub worker` needs PostgreSQL[/red] (HUB_DATABASE_URL=postgresql+psycopg://...); "
            "on SQLite, `hub serve --role hub` harvests itself."
        )
        raise SystemExit(2)
    app = procrastinate_app(engine, settings)

    async def work() -> None:
        async with app.open_async():
            await app.run_worker_async(
                queues=["harvest", "schedule"],
                concurrency=args.concurrency,
                name=args.name,
                update_heartbeat_interval=args.heartbeat,
            )

    asyncio.run(work())


def cmd_export(args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from hub.portability import export_lines

    settings = _settings(args)
    out = open(args.out, "wb") if args.out else sys.stdout.buffer  # noqa: SIM115
    try:
        with Session(_engine(settings)) as session:
            for chunk in export_lines(session, settings):
                out.write(chunk)
        out.write(b"\n")
    finally:
        if args.out:
            out.close()


def cmd_import(args: argparse.Namespace) -> None:
    import orjson

    from hub.portability import import_document
    from hub.store.db import session_scope

    settings = _settings(args)
    document = orjson.loads(Path(args.file).read_bytes())
    with session_scope(_engine(settings)) as session:
        counts = import_document(session, settings, document)
    console.print(
        f"Imported {counts['place']} places, {counts['event']} events, {counts['person']} people, "
        f"{counts['need']} needs and {counts['offer']} offers."
    )


def cmd_people_erase(args: argparse.Namespace) -> None:
    from hub.needs.service import follow_author
    from hub.people.service import erase_person
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        iri = erase_person(session, args.id)
        follow_author(session, iri)
    console.print(f"Erased {iri} and their needs and offers; hubs delete them on their next harvest.")


def cmd_follow(args: argparse.Namespace) -> None:
    import asyncio

    from hub.activitypub.inbox import follow
    from hub.federation.errors import FetchError

    settings = _settings(args)
    try:
        actor = asyncio.run(follow(_engine(settings), settings, args.actor))
    except (FetchError, ValueError) as exc:
        console.print(f"[red]Not followed:[/red] {escape(str(exc))}")
        raise SystemExit(1) from exc
    console.print(
        f"Asked to follow {escape(actor)}: the serving processes send the Follow with their next "
        "delivery pass, and keep what it publishes once it accepts."
    )


def cmd_demo(args: argparse.Namespace) -> None:
    from hub.demo.run import run_demo

    run_demo(host=args.host, base_port=args.port, data_dir=Path(args.data_dir))


def build_parser() -> argparse.ArgumentParser:
    from hub.auth.tokens import SCOPES

    parser = argparse.ArgumentParser(
        prog="hub", description="Tiers-lieux node and hub. Settings come from HUB_* variables."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--role", choices=["node", "hub"])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations, load the thesauri").set_defaults(func=cmd_db_upgrade)
    db.add_parser("new-epoch", help="after a restore: make hubs that harvest this one resync").set_defaults(
        func=cmd_db_new_epoch
    )

    tokens = commands.add_parser("tokens", help="bearer tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    create = tokens.add_parser("create", help="issue a token (printed once)")
    create.add_argument("--name", default="token")
    create.add_argument("--scope", action="append", choices=SCOPES, required=True)
    create.set_defaults(func=cmd_tokens_create)
    tokens.add_parser("list", help="list tokens").set_defaults(func=cmd_tokens_list)
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_tokens_revoke)

    sources = commands.add_parser("sources", help="the sources a hub harvests").add_subparsers(
        dest="sources_command", required=True
    )
    add = sources.add_parser("add", help="register a source")
    add.add_argument("url")
    add.add_argument(
        "--kind", choices=["auto", "node", "ics", "jsonld", "mobilizon", "gancio"], default="auto"
    )
    add.add_argument("--place", help="place (id or IRI) the events of a calendar or page belong to")
    add.add_argument("--token", help="harvest token the node issued to this hub")
    add.add_argument("--name")
    add.add_argument("--interval", type=int, help="seconds between harvests")
    add.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="register the URL without reading it first (unreachable or of no known kind yet)",
    )
    add.set_defaults(func=cmd_sources_add)
    sources.add_parser("list", help="list sources with their health").set_defaults(func=cmd_sources_list)
    sources.add_parser("health", help="failing sources, why, and since when").set_defaults(
        func=cmd_sources_health
    )
    remove = sources.add_parser("remove", help="remove a source and its records")
    remove.add_argument("source", help="id or URL")
    remove.set_defaults(func=cmd_sources_remove)

    harvest = commands.add_parser("harvest", help="harvest every source once (or those given)")
    harvest.add_argument("source", nargs="*", help="source ids (default: all)")
    harvest.add_argument(
        "--allow-failures", action="store_true", help="exit 0 even when sources fail (they are listed)"
    )
    harvest.set_defaults(func=cmd_harvest)

    worker = commands.add_parser("worker", help="run harvest jobs from the PostgreSQL queue")
    worker.add_argument("--concurrency", type=int, default=10)
    worker.add_argument("--name", default=None)
    worker.add_argument("--heartbeat", type=float, default=10, help="seconds between the worker's heartbeats")
    worker.set_defaults(func=cmd_worker)

    export = commands.add_parser("export", help="everything this instance holds, as one JSON-LD document")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)
    load = commands.add_parser("import", help="load an export into an empty instance")
    load.add_argument("file")
    load.set_defaults(func=cmd_import)
    people = commands.add_parser("people", help="member profiles").add_subparsers(
        dest="people_command", required=True
    )
    erase = people.add_parser("erase", help="erase a member (right to erasure); hubs get a tombstone")
    erase.add_argument("id", help="local id or IRI of the person")
    erase.set_defaults(func=cmd_people_erase)

    follow = commands.add_parser("follow", help="follow a fediverse actor (ActivityPub) from this instance")
    follow.add_argument("actor", help="the actor's URL, e.g. a Mobilizon group or another hub's /ap/actor")
    follow.set_defaults(func=cmd_follow)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.add_argument("--role", choices=["node", "hub"], default="node")
    openapi.add_argument("--out")
    openapi.set_defaults(func=cmd_openapi)

    demo = commands.add_parser("demo", help="run the demo network on 127.0.0.1 until Ctrl-C")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="first port; 0 for free ports")
    demo.add_argument("--data-dir", default=".demo")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> None:
    from hub.errors import HubError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except HubError as exc:
        console.print(f"[red]{exc.title}:[/red] {exc.detail}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
