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
    from hub.db import make_engine

    return make_engine(settings.database_url, settings.database_schema)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hub.api.app import create_app

    settings = _settings(args)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", proxy_headers=True)


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from hub.migrate import upgrade

    settings = _settings(args)
    loaded = upgrade(_engine(settings), settings.database_schema)
    console.print(
        f"Database at head. Thesauri: {loaded or 'unchanged'}{' concepts loaded' if loaded else ''}."
    )


def cmd_tokens_create(args: argparse.Namespace) -> None:
    from hub.auth.tokens import create_token
    from hub.db import session_scope

    with session_scope(_engine(_settings(args))) as session:
        token, clear = create_token(session, args.name, args.scope)
    console.print(f"Token {token.id} ({', '.join(token.scopes)}) for {token.name!r}. Shown once:")
    print(clear)


def cmd_tokens_list(args: argparse.Namespace) -> None:
    from hub.auth.tokens import list_tokens
    from hub.db import session_scope

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
    from hub.db import session_scope

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

    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.add_argument("--role", choices=["node", "hub"], default="node")
    openapi.add_argument("--out")
    openapi.set_defaults(func=cmd_openapi)

    demo = commands.add_parser("demo", help="run the demo network on 127.0.0.1 until Ctrl-C")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="first port")
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
