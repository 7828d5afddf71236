"""Submit + query latency of ``reelforge serve`` at a fixed request rate, on loopback.

Starts ``reelforge serve --previz`` on a free 127.0.0.1 port with a throwaway data dir
(or uses ``--url`` with ``--access-key/--secret-key`` for a server already running), then
for ``--seconds`` (default 15) sends ``--rate`` (default 20) submissions per second on an
open-loop schedule (each request starts at its slot, whatever the earlier ones are doing;
a bounded pool caps the requests in flight), each followed by one query of the task it
created. Prints a markdown table: p50 / p99 / max of submit and query latency, the rate
achieved, errors, with the machine line.

    .venv/bin/python bench/service.py                 # SQLite, 20 req/s for 15 s
    .venv/bin/python bench/service.py --database-url postgresql+psycopg://...  # PostgreSQL

The tasks are the cheapest the API takes (std, 3 s, square, silent): the renders queue up
behind the measurement and keep one or more CPU cores busy (``--workers``), as they would
on a live server. Everything is bounded: at most ``rate × seconds`` requests (≤ 2000),
each with a 30 s timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
from machine import machine_line  # noqa: E402

from tests.service.harness import Server, kling_jwt  # noqa: E402  (the tests' own server harness)

MAX_REQUESTS = 2000
IN_FLIGHT = 64
BODY = {
    "model_name": "kling-v3",
    "mode": "std",
    "duration": "3",
    "aspect_ratio": "1:1",
    "sound": "off",
}


UNLIMITED = {
    "REELFORGE_MAX_RUNNING_TASKS": "100000",
    "REELFORGE_RATE_LIMIT_PER_SECOND": "100000",
    "REELFORGE_RATE_LIMIT_BURST": "100000",
}
"""The server's own limits lifted: the bench measures latency, not the limiter."""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(url: str, ak: str, sk: str, rate: float, seconds: float) -> dict:
    n = min(MAX_REQUESTS, int(rate * seconds))
    headers = {"Authorization": f"Bearer {kling_jwt(ak, sk)}"}
    submit_ms: list[float] = []
    query_ms: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    late = [0]
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    with httpx.Client(base_url=url, headers=headers, timeout=30, limits=limits) as http:
        # warm-up: one connection, one submission, outside the measurement
        http.post("/v1/videos/text2video", json={**BODY, "prompt": "warm-up"})

        def one(i: int) -> None:
            try:
                t0 = time.perf_counter()
                r = http.post("/v1/videos/text2video", json={**BODY, "prompt": f"Bench {i}."})
                t1 = time.perf_counter()
                body = r.json()
                if body.get("code") != 0:
                    raise RuntimeError(f"submit code {body.get('code')}")
                q = http.get(f"/v1/videos/text2video/{body['data']['task_id']}")
                t2 = time.perf_counter()
                if q.json().get("code") != 0:
                    raise RuntimeError(f"query code {q.json().get('code')}")
                with lock:
                    submit_ms.append((t1 - t0) * 1000)
                    query_ms.append((t2 - t1) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    key = type(exc).__name__ + (f": {exc}" if isinstance(exc, RuntimeError) else "")
                    errors[key] = errors.get(key, 0) + 1

        start = time.perf_counter()
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            futures = []
            for i in range(n):
                slot = start + i / rate
                wait = slot - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -0.05:
                    late[0] += 1
                futures.append(pool.submit(one, i))
            for f in futures:
                f.result(timeout=120)
        elapsed = time.perf_counter() - start
    return {
        "n": n,
        "elapsed": elapsed,
        "submit": submit_ms,
        "query": query_ms,
        "errors": errors,
        "late": late[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--rate", type=float, default=20.0, help="submissions per second (each + one query)"
    )
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument(
        "--workers", type=int, default=1, help="render workers of the server started here"
    )
    ap.add_argument("--database-url", default=os.environ.get("REELFORGE_BENCH_DATABASE_URL"))
    ap.add_argument(
        "--url", help="use a running server instead (needs --access-key and --secret-key)"
    )
    ap.add_argument("--access-key")
    ap.add_argument("--secret-key")
    args = ap.parse_args()
    if not (0 < args.rate <= 200 and 0 < args.seconds <= 120):
        raise SystemExit("keep it bounded: 0 < rate ≤ 200, 0 < seconds ≤ 120")

    with contextlib.ExitStack() as cleanup:
        if args.url:
            if not (args.access_key and args.secret_key):
                raise SystemExit("--url needs --access-key and --secret-key")
            url, ak, sk = args.url.rstrip("/"), args.access_key, args.secret_key
            store = "(running server)"
        else:
            home = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="rf-bench-")))
            server = Server(
                home / "home",
                args=("--workers", str(args.workers)),
                env=UNLIMITED,
                database_url=args.database_url,
            )
            cleanup.callback(server.stop)
            account = server.start().account("bench", credits=100_000_000)
            url, ak, sk = server.url, account.access_key, account.secret_key
            store = "PostgreSQL" if args.database_url else "SQLite"
        res = run(url, ak, sk, args.rate, args.seconds)

    ok = len(res["submit"])
    print(
        f"## reelforge serve: submit + query latency at {args.rate:g} req/s for {args.seconds:g} s\n"
    )
    print(
        f"{machine_line()}; store {store}; `--previz --workers {args.workers}`; loopback; "
        f"{res['n']} submissions, each followed by one query\n"
    )
    print("| call | p50 ms | p99 ms | max ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for name in ("submit", "query"):
        v = res[name]
        print(
            f"| {name} | {pct(v, 0.5):.1f} | {pct(v, 0.99):.1f} | {max(v) if v else float('nan'):.1f} | "
            f"{statistics.fmean(v) if v else float('nan'):.1f} |"
        )
    both = [a + b for a, b in zip(res["submit"], res["query"], strict=True)]
    print(
        f"| submit + query | {pct(both, 0.5):.1f} | {pct(both, 0.99):.1f} | "
        f"{max(both) if both else float('nan'):.1f} | {statistics.fmean(both) if both else float('nan'):.1f} |"
    )
    print(
        f"\nachieved {res['n'] / res['elapsed']:.1f} submissions/s; {ok}/{res['n']} ok; "
        f"errors: {res['errors'] or 'none'}; requests sent late (> 50 ms behind schedule): {res['late']}"
    )


if __name__ == "__main__":
    main()
