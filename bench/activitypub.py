"""ActivityPub delivery: one event created, sent as a signed Create to N followers' inboxes.

    python -m bench.activitypub --followers 1000

The inboxes (N distinct ones: no shared inbox to gather them) are served by another process on
127.0.0.1, answering 202 to each POST; the instance's store is SQLite in a temporary folder. Prints
the wall time of the pass and this process's CPU time (building, signing and sending), per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import tempfile
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.activitypub.delivery import deliver_pending
from hub.activitypub.models import Follower
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope


async def _inbox(request) -> Response:
    await request.body()
    return Response(status_code=202)


def _serve(sock: socket.socket) -> None:
    app = Starlette(routes=[Route("/inbox/{n}", _inbox, methods=["POST"])])
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def run(followers: int) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,), daemon=True)
    server.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            allowed_private_networks=["127.0.0.1/32"],
            activitypub_delivery_batch=max(200, followers),
        )
        engine = make_engine(settings.database_url)
        upgrade(engine)
        with session_scope(engine) as session:
            for n in range(followers):
                session.add(Follower(actor=f"{base}/actor/{n}", inbox=f"{base}/inbox/{n}"))
        asyncio.run(deliver_pending(engine, settings))  # the key pair is made once, outside the figures
        with session_scope(engine) as session:
            start = "2030-06-12T18:00:00+02:00"
            save_event(session, settings, EventIn(title="Atelier découverte", start=start))
        wall, cpu = time.perf_counter(), time.process_time()
        report = asyncio.run(deliver_pending(engine, settings))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        engine.dispose()
    server.terminate()
    print(
        f"{followers} inboxes: {report.sent} Create delivered in {wall:.2f} s "
        f"({followers / wall:.0f}/s), CPU {cpu:.2f} s ({1000 * cpu / followers:.2f} ms a delivery)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.activitypub")
    parser.add_argument("--followers", type=int, default=1000)
    run(parser.parse_args().followers)


if __name__ == "__main__":
    main()
