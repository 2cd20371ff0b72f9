"""The `hub` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
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
        console.print(f"[red]Invalid settings:[/red] {exc}")
        raise SystemExit(2) from exc


def _engine(settings: Settings):
    from hub.store.db import make_engine

    return make_engine(settings.database_url, settings.database_schema)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hub.api.app import create_app
    from hub.observability import configure_logging

    settings = _settings(args)
    configure_logging()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
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


def cmd_sources_add(args: argparse.Namespace) -> None:
    from hub.federation.registry import SourceIn, add_source
    from hub.store.db import session_scope

    settings = _settings(args)
    data = SourceIn(
        url=args.url,
        kind=args.kind,
        name=args.name,
        place=args.place,
        token=args.token,
        interval_seconds=args.interval,
    )
    with session_scope(_engine(settings)) as session:
        source = add_source(session, data, default_interval=settings.harvest_interval_seconds)
    console.print(f"Source {source.id} added: {source.url} ({source.kind}).")


def _sources_table(items, title: str) -> Table:
    table = Table("id", "url", "kind", "records", "quarantined", "last success", "error", title=title)
    for s in items:
        error = f"[red]{s.last_error_kind}[/red]: {s.last_error}" if s.consecutive_failures else ""
        if s.flagged:
            error = (error + " " if error else "") + f"[yellow]flagged[/yellow]: {s.flagged}"
        table.add_row(
            str(s.id),
            s.url,
            s.kind,
            str(s.records_held),
            str(s.records_quarantined),
            s.last_success_at or "never",
            error,
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
    table = Table("id", "url", "what is wrong", "since", "failures", title="Failing or flagged sources")
    for s in items:
        reason = f"{s.last_error_kind}: {s.last_error}" if s.consecutive_failures else f"flagged: {s.flagged}"
        table.add_row(str(s.id), s.url, reason, s.failing_since or "", str(s.consecutive_failures))
    console.print(table if items else "Every source is healthy.")


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
    table = Table(
        "source",
        "new",
        "updated",
        "unchanged",
        "deleted",
        "quarantined",
        "requests",
        "outcome",
        title=f"Harvest of {len(reports)} sources in {elapsed:.2f} s",
    )
    for r in sorted(reports, key=lambda r: r.source_id):
        outcome = (
            f"[red]{r.error_kind}[/red]: {r.error}" if r.error else "not modified" if r.not_modified else "ok"
        )
        if r.flagged:
            outcome += f" [yellow](flagged: {r.flagged})[/yellow]"
        s = r.stats
        table.add_row(
            r.url,
            str(s.new),
            str(s.updated),
            str(s.unchanged),
            str(s.deleted),
            str(s.quarantined),
            str(r.requests),
            outcome,
        )
    console.print(table)
    totals = [sum(getattr(r.stats, k) for r in reports) for k in ("new", "updated", "deleted", "quarantined")]
    failed = sum(1 for r in reports if r.error)
    console.print(
        f"new {totals[0]}, updated {totals[1]}, deleted {totals[2]}, quarantined {totals[3]}, "
        f"requests {sum(r.requests for r in reports)}, failed sources {failed}"
    )
    if failed and args.strict:
        raise SystemExit(1)


def cmd_worker(args: argparse.Namespace) -> None:
    import asyncio

    from hub.federation.jobs import procrastinate_app
    from hub.observability import configure_logging

    settings = _settings(args)
    configure_logging()
    engine = _engine(settings)
    if engine.dialect.name != "postgresql":
        console.print(
            "[red]`hub worker` needs PostgreSQL;[/red] on SQLite, `hub serve --role hub` harvests itself."
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
    console.print(f"Imported {counts['place']} places, {counts['event']} events, {counts['person']} people.")


def cmd_people_erase(args: argparse.Namespace) -> None:
    from hub.people.service import erase_person
    from hub.store.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        iri = erase_person(session, args.id)
    console.print(f"Erased {iri}; hubs delete it on their next harvest.")


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
    harvest.add_argument("--strict", action="store_true", help="exit 1 when a source fails")
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
