"""Load test: the API against a bare FastAPI app returning the same bytes, both under uvicorn.

``run_loadtest(store, seconds=10, clients=50)`` starts two servers on free loopback ports, each
in its own subprocess with the same uvicorn settings (``workers``, uvloop/httptools when
installed, no access log):

- the API (:func:`ktstat.api.serve.serve` over ``store``);
- a bare FastAPI app with one catch-all route returning, as a prepared ``Response``, the bytes
  the API gave for the same URL (fetched before the run) -- the floor any FastAPI app serving
  these responses can reach on this machine;

then drives each in turn (not both at once: they would share the cores) with ``clients``
concurrent HTTP/1.1 keep-alive connections from an asyncio load generator (raw sockets, uvloop
when installed) for ``seconds`` after ``warmup`` seconds. The URLs are typical explorer
queries, SDMX-JSON: one breakdown, one period, about 100 values each (built from
``/api/meta``: every non-cross breakdown of at most 12 items, the latest ``periods`` periods of
each frequency), cycled through by every client.

Returns ``{"app": {...}, "bare": {...}, "ratio": {...}, "urls": [...], ...}``: per server the
requests completed, requests/s, latency p50/p90/p99/max in milliseconds and the errors (a
non-200 status or a broken response); ``ratio``: app / bare for requests/s and p99. With
``cache=False`` the API runs with its response cache off (every request computed afresh).

From the command line: ``python -m ktstat.api.loadtest --store ktstat-demo/ktstat.duckdb
[--seconds 10] [--clients 50] [--workers 1] [--no-cache]`` prints the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 30.0) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
        return int(r.status), r.read(), str(r.headers.get("content-type", ""))


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"the server exited with status {proc.returncode} before answering {url}:\n{tail}")
        try:
            _get(url, timeout=2.0)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ktstat.api.loadtest", *args],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def typical_urls(base: str, periods: int = 3, target: int = 100) -> list[str]:
    """Typical explorer queries against the API at ``base`` (see module doc)."""
    status, body, _ = _get(f"{base}/api/meta")
    if status != 200:
        raise RuntimeError(f"{base}/api/meta answered {status}")
    urls = []
    for flow in json.loads(body)["dataflows"]:
        measures_by_freq: dict[str, list[str]] = {}
        for m in flow["measures"]:
            for f in m["frequencies"]:
                measures_by_freq.setdefault(f, []).append(m["id"])
        for freq in flow["frequencies"]:
            for period in freq["periods"][-periods:]:
                for b in flow["breakdowns"]:
                    n = len(b["items"])
                    if "+" in b["id"] or n > 12:
                        continue
                    ms = measures_by_freq[freq["id"]][: max(1, math.ceil(target / n))]
                    key = f"{freq['sdmx']}.{b['sdmx']}..{'+'.join(ms)}"
                    urls.append(
                        f"/data/{flow['id']}/{key}?startPeriod={period['sdmx']}&endPeriod={period['sdmx']}"
                        "&format=jsondata"
                    )
    return urls


async def _drive(port: int, paths: Sequence[str], clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    requests = [f"GET {p} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode() for p in paths]
    latencies: list[float] = []
    errors = [0]
    t_start = time.perf_counter()
    measure_from = t_start + warmup
    deadline = measure_from + seconds

    async def client(offset: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        i = offset
        try:
            while True:
                req = requests[i % len(requests)]
                i += 1
                t0 = time.perf_counter()
                if t0 >= deadline:
                    return
                writer.write(req)
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head[9:12])
                    length = -1
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if length < 0:
                        raise ValueError("no content-length")
                    await reader.readexactly(length)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
                    errors[0] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if status != 200:
                        errors[0] += 1
        finally:
            writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    latencies.sort()
    n = len(latencies)

    def pct(q: float) -> float:
        return round(1000 * latencies[min(n - 1, int(q * n))], 3) if n else float("nan")

    return {
        "requests": n,
        "rps": round(n / seconds, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(1000 * latencies[-1], 3) if n else float("nan"),
        "errors": errors[0],
    }


def drive(
    port: int, paths: Sequence[str], clients: int = 50, seconds: float = 10.0, warmup: float = 1.0
) -> dict[str, Any]:
    """Run the load generator against ``HOST:port`` (see module doc)."""
    try:
        import uvloop

        return uvloop.run(_drive(port, paths, clients, seconds, warmup))
    except ImportError:
        return asyncio.run(_drive(port, paths, clients, seconds, warmup))


def run_loadtest(
    store: Path,
    seconds: float = 10.0,
    clients: int = 50,
    workers: int = 1,
    urls: Sequence[str] | None = None,
    cache: bool = True,
    warmup: float = 2.0,
    startup_timeout: float = 300.0,
) -> dict[str, Any]:
    """Load-test the API over ``store`` against a bare FastAPI app (see module doc)."""
    store = Path(store).resolve()
    app_port, bare_port = free_port(), free_port()
    env = {} if cache else {"KTSTAT_API_CACHE_ENTRIES": "0"}
    work = Path(tempfile.mkdtemp(prefix="ktstat-loadtest-"))
    body_file = work / "body"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.monotonic()
        app = _start(
            ["--serve-app", "--store", str(store), "--port", str(app_port), "--workers", str(workers)],
            work / "app.log",
            env,
        )
        procs.append(app)
        base = f"http://{HOST}:{app_port}"
        _wait_up(f"{base}/releases", app, startup_timeout, work / "app.log")
        startup = time.monotonic() - t0
        paths = list(urls or typical_urls(base))
        if not paths:
            raise RuntimeError("no URL to test: the store has no released vintage with a small breakdown")
        bodies: dict[str, bytes] = {}
        media = ""
        for url in paths:
            status, body, media = _get(base + url)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            bodies[url] = body
        body_file.write_bytes(pickle.dumps((media, bodies)))
        bare = _start(
            ["--serve-bare", "--body", str(body_file), "--port", str(bare_port), "--workers", str(workers)],
            work / "bare.log",
        )
        procs.append(bare)
        _wait_up(f"http://{HOST}:{bare_port}{paths[0]}", bare, 60, work / "bare.log")
        sizes = [len(b) for b in bodies.values()]
        app_result = drive(app_port, paths, clients, seconds, warmup)
        bare_result = drive(bare_port, paths, clients, seconds, warmup)
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    return {
        "app": app_result,
        "bare": bare_result,
        "ratio": {
            "rps": round(app_result["rps"] / bare_result["rps"], 3) if bare_result["rps"] else None,
            "p99": round(app_result["p99_ms"] / bare_result["p99_ms"], 3) if bare_result["p99_ms"] else None,
        },
        "clients": clients,
        "seconds": seconds,
        "warmup": warmup,
        "workers": workers,
        "cache": cache,
        "urls": paths,
        "mean_body_bytes": round(sum(sizes) / len(sizes)),
        "app_startup_s": round(startup, 2),
        "cpus": os.cpu_count(),
    }


def _bare_app() -> FastAPI:
    """The bare app: one catch-all route answering each URL with the bytes the API gave for it."""
    media, bodies = pickle.loads(Path(os.environ["KTSTAT_BARE_BODY"]).read_bytes())  # noqa: S301 (our own file)
    app = FastAPI()

    @app.get("/{path:path}")
    def everything(path: str, request: Request) -> Response:
        query = request.scope.get("query_string", b"").decode()
        body = bodies.get(f"{request.scope['path']}?{query}" if query else request.scope["path"], b"")
        return Response(body, media_type=media)

    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Command line (module doc); ``--serve-app`` / ``--serve-bare`` run the two servers."""
    ap = argparse.ArgumentParser(prog="python -m ktstat.api.loadtest")
    ap.add_argument("--store", type=Path)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serve-app", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--body", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers started are stopped too
    if a.serve_app:
        from ktstat.api.serve import serve

        serve(a.store, HOST, a.port, workers=a.workers, log_level="warning", access_log=False)
    elif a.serve_bare:
        import uvicorn

        os.environ["KTSTAT_BARE_BODY"] = str(a.body)
        uvicorn.run(
            "ktstat.api.loadtest:_bare_app",
            factory=True,
            host=HOST,
            port=a.port,
            workers=a.workers,
            log_level="warning",
            access_log=False,
        )
    else:
        if a.store is None:
            ap.error("--store is required")
        print(json.dumps(run_loadtest(a.store, a.seconds, a.clients, a.workers, cache=not a.no_cache), indent=1))


if __name__ == "__main__":
    main()
