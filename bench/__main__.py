"""The whole benchmark set, at the scale of a country or quickly.

    python -m bench            # 3,500 nodes: a long run (see bench/RESULTS.md for its figures)
    python -m bench --quick    # the same set on a small network, in under two minutes

Every part prints its figures and its ratio to the ceiling measured in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench import harvest, jsonld_serialization, query, storage, transports


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a small network, under two minutes")
    parser.add_argument("--nodes", type=int, help="simulated nodes (default 3,500, or 20 with --quick)")
    args = parser.parse_args()
    nodes = args.nodes or (20 if args.quick else 3500)
    started = time.perf_counter()

    print("\n# Client CPU of conditional requests answered 304, per transport\n")
    transports.run(requests=min(nodes, 3500) if not args.quick else 300, concurrency=50)

    print("\n# JSON-LD serialization\n")
    jsonld_serialization.run(200 if args.quick else 1000)

    print("\n# Harvest, hub on SQLite\n")
    harvest.run(nodes, "sqlite", ics_share=0.1, workers=[], keep=query.store_path(nodes))
    print("\n# The floor of storing that first harvest: its rows inserted with bare sqlite3\n")
    storage.run(query.store_path(nodes))
    print("\n# Harvest, hub on PostgreSQL, in the hub's process then by 1 and 2 workers\n")
    harvest.run(nodes, "postgresql", ics_share=0.1, workers=[1, 2])
    if not args.quick:
        print("\n# Harvest memory at a smaller scale (is the peak independent of N?)\n")
        harvest.run(500, "sqlite", ics_share=0.1, workers=[])

    print(
        "\n# One big calendar file, harvested a page at a time (in a process of its own: its peak memory)\n"
    )
    events = "2000" if args.quick else "200000"
    subprocess.run([sys.executable, "-m", "bench.ics_snapshot", "--events", events], check=True)

    print("\n# Queries over the harvested network\n")
    query.run(nodes, requests=60 if args.quick else 400, concurrencies=[1, 16] if args.quick else [1, 16, 64])
    print(f"\nthe whole set took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
