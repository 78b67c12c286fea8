"""Load test: the API with and without its response cache, against a bare FastAPI app returning the
same bytes, and small requests while full dumps run; all servers under uvicorn, in one run.

``run_loadtest(store, seconds=10, clients=50)`` starts three servers on free loopback ports, each
in its own subprocess with the same uvicorn settings (``workers``, uvloop/httptools when
installed, no access log):

- the API (:func:`ktstat.api.serve.serve` over ``store``) with its response cache (``cached``);
- the API with the cache off, every request computed afresh (``uncached``);
- a bare FastAPI app with one catch-all route returning, as a prepared ``Response``, the bytes
  the API gave for the same URL (fetched before the run): the floor any FastAPI app serving
  these responses can reach on this machine (``bare``);

then drives each in turn (not at once: they would share the cores) with ``clients`` concurrent
HTTP/1.1 keep-alive connections from an asyncio load generator (raw sockets, uvloop when
installed) for ``seconds`` after ``warmup`` seconds. The URLs (:func:`varied_urls`) are explorer
queries in SDMX-JSON, about 100 values each, every one a different key: per dataflow, frequency,
period and breakdown of at most 12 items, every item or all but one, and the measures in groups;
up to ``max_urls`` of them, shuffled, each client starting at its own place in the list.

Dumps (``dump_levels``, default 1 and 12): on the uncached API, ``n`` clients download full dumps
(:func:`dump_urls`: each dataflow whole, or by frequency where it is larger than a response may be,
in SDMX-JSON, SDMX-CSV and SDMX-ML, round robin) one after another for ``dump_seconds``, from a
separate process, while ``small_clients`` clients send the varied URLs; the server's resident
memory (its process and children, from ``/proc``) is sampled every 50 ms. Level 0 is the same
small load without dumps.

Returns ``{"bare", "cached", "uncached": {requests, rps, p50_ms, p90_ms, p99_ms, max_ms, errors},
"ratio": {cached_rps, uncached_rps, cached_p99, uncached_p99} (API / bare), "dumps": {"urls",
"levels": {n: {small latency as above, rss_mb_start, rss_mb_peak, dumps, dump_mb, dump_errors}}},
"distinct_urls", "mean_body_bytes", "mean_values", "startup_s", ...}``; an error is a non-200
status or a broken response.

From the command line: ``python -m ktstat.api.loadtest --store ktstat-demo/ktstat.duckdb
[--seconds 10] [--clients 50] [--workers 1] [--dump-seconds 8] [--max-urls 5000]`` prints the
result as JSON.
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


def _meta(base: str) -> list[dict[str, Any]]:
    status, body, _ = _get(f"{base}/api/meta")
    if status != 200:
        raise RuntimeError(f"{base}/api/meta answered {status}")
    return list(json.loads(body)["dataflows"])


def varied_urls(base: str, target: int = 100, max_urls: int = 5000, seed: int = 0) -> list[str]:
    """Explorer queries against the API at ``base``, every one a different key (see module doc):
    per dataflow, frequency, period and breakdown of at most 12 items (no crosses), the items
    (every one, or all but one) and the measures of the frequency in groups of
    ``ceil(target / items)``, so about ``target`` values each; shuffled with ``seed``, at most
    ``max_urls``."""
    urls = []
    for flow in _meta(base):
        measures_by_freq: dict[str, list[str]] = {}
        for m in flow["measures"]:
            for f in m["frequencies"]:
                measures_by_freq.setdefault(f, []).append(m["id"])
        for freq in flow["frequencies"]:
            ms = measures_by_freq[freq["id"]]
            for b in flow["breakdowns"]:
                items = [i["sdmx"] for i in b["items"]]
                n = len(items)
                if "+" in b["id"] or n > 12 or n == 0:
                    continue
                size = max(1, math.ceil(target / n))
                groups = ["+".join(ms[k : k + size]) for k in range(0, len(ms), size)]
                item_sets = [""] + (["+".join(i for i in items if i != drop) for drop in items] if n > 1 else [])
                for period in freq["periods"]:
                    sp = period["sdmx"]
                    for its in item_sets:
                        for g in groups:
                            urls.append(
                                f"/data/{flow['id']}/{freq['sdmx']}.{b['sdmx']}.{its}.{g}"
                                f"?startPeriod={sp}&endPeriod={sp}&format=jsondata"
                            )
    import random

    random.Random(seed).shuffle(urls)
    return urls[:max_urls]


DUMP_FORMATS = ("jsondata", "csv", "structurespecificdata")


def dump_urls(base: str) -> list[str]:
    """Full dumps (see module doc): per dataflow ``/data/{flow}/all``, or per frequency where the
    whole is more than one response may hold (413), in each of ``DUMP_FORMATS``."""
    urls = []
    for flow in _meta(base):
        candidates = [f"/data/{flow['id']}/all"]
        if _status(f"{base}{candidates[0]}?format=csv") == 413:
            candidates = [f"/data/{flow['id']}/{f['sdmx']}..." for f in flow["frequencies"]]
        for path in candidates:
            if _status(f"{base}{path}?format=csv") == 200:
                urls += [f"{path}?format={fmt}" for fmt in DUMP_FORMATS]
    return urls


def _status(url: str) -> int:
    """The status of a GET of ``url`` (its body read and dropped)."""
    import urllib.error

    try:
        with urllib.request.urlopen(url, timeout=300) as r:  # noqa: S310 (loopback only)
            while r.read(1 << 20):
                pass
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and its descendants, in MiB (Linux ``/proc``; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


async def _dumps(port: int, paths: Sequence[str], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` connections, each downloading ``paths`` round robin (``Connection: close``, read
    to the end) until ``seconds`` have passed: dumps completed, MB read, errors."""
    done, errors, size = [0], [0], [0]
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Encoding: identity\r\n"
                    "Connection: close\r\n\r\n".encode()
                )
                head = await reader.readuntil(b"\r\n\r\n")
                n = 0
                while chunk := await reader.read(1 << 16):
                    n += len(chunk)
                size[0] += n
                if head[9:12] == b"200":
                    done[0] += 1
                else:
                    errors[0] += 1
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                errors[0] += 1
            finally:
                writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    return {"dumps": done[0], "dump_mb": round(size[0] / (1 << 20), 1), "dump_errors": errors[0]}


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


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _values(body: bytes) -> int:
    """The observations in an SDMX-JSON 2.0 data message (0 if it is not one)."""
    try:
        sets = json.loads(body)["data"]["dataSets"]
    except (ValueError, KeyError, TypeError):
        return 0
    return sum(len(s["observations"]) for ds in sets for s in ds.get("series", {}).values())


def run_loadtest(
    store: Path,
    seconds: float = 10.0,
    clients: int = 50,
    workers: int = 1,
    urls: Sequence[str] | None = None,
    warmup: float = 2.0,
    startup_timeout: float = 300.0,
    max_urls: int = 5000,
    dump_levels: Sequence[int] = (1, 12),
    dump_seconds: float = 8.0,
    small_clients: int = 10,
) -> dict[str, Any]:
    """Load-test the API over ``store`` (see module doc)."""
    store = Path(store).resolve()
    work = Path(tempfile.mkdtemp(prefix="ktstat-loadtest-"))
    procs: list[subprocess.Popen[bytes]] = []

    def app(name: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, float]:
        port = free_port()
        t0 = time.monotonic()
        proc = _start(
            ["--serve-app", "--store", str(store), "--port", str(port), "--workers", str(workers)],
            work / f"{name}.log",
            env,
        )
        procs.append(proc)
        _wait_up(f"http://{HOST}:{port}/releases", proc, startup_timeout, work / f"{name}.log")
        return proc, port, time.monotonic() - t0

    try:
        uncached, u_port, startup = app("uncached", {"KTSTAT_API_CACHE_ENTRIES": "0"})
        base = f"http://{HOST}:{u_port}"
        paths = list(urls or varied_urls(base, max_urls=max_urls))
        if not paths:
            raise RuntimeError("no URL to test: the store has no released vintage with a small breakdown")
        bodies: dict[str, bytes] = {}
        media = ""
        for url in paths:
            status, body, media = _get(base + url)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            bodies[url] = body
        body_file = work / "body"
        body_file.write_bytes(pickle.dumps((media, bodies)))
        bare_port = free_port()
        bare = _start(
            ["--serve-bare", "--body", str(body_file), "--port", str(bare_port), "--workers", str(workers)],
            work / "bare.log",
        )
        procs.append(bare)
        _wait_up(f"http://{HOST}:{bare_port}{paths[0]}", bare, 60, work / "bare.log")
        _, c_port, _ = app("cached", {})
        sizes = [len(b) for b in bodies.values()]
        values = [_values(b) for b in bodies.values()]
        results = {
            "bare": drive(bare_port, paths, clients, seconds, warmup),
            "cached": drive(c_port, paths, clients, seconds, warmup),
            "uncached": drive(u_port, paths, clients, seconds, warmup),
        }
        dumps = dump_urls(base) if dump_levels else []
        levels: dict[str, Any] = {}
        for n in (0, *dump_levels) if dumps else ():
            levels[str(n)] = _with_dumps(uncached, u_port, paths, dumps, n, dump_seconds, small_clients, work)
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    bare_r, cached_r, uncached_r = results["bare"], results["cached"], results["uncached"]
    return {
        **results,
        "ratio": {
            "cached_rps": _ratio(cached_r["rps"], bare_r["rps"]),
            "uncached_rps": _ratio(uncached_r["rps"], bare_r["rps"]),
            "cached_p99": _ratio(cached_r["p99_ms"], bare_r["p99_ms"]),
            "uncached_p99": _ratio(uncached_r["p99_ms"], bare_r["p99_ms"]),
        },
        "dumps": {"urls": dumps, "seconds": dump_seconds, "small_clients": small_clients, "levels": levels},
        "clients": clients,
        "seconds": seconds,
        "warmup": warmup,
        "workers": workers,
        "distinct_urls": len(set(paths)),
        "mean_body_bytes": round(sum(sizes) / len(sizes)),
        "mean_values": round(sum(values) / len(values), 1),
        "startup_s": round(startup, 2),
        "cpus": os.cpu_count(),
    }


def _with_dumps(
    server: subprocess.Popen[bytes],
    port: int,
    paths: Sequence[str],
    dumps: Sequence[str],
    n: int,
    seconds: float,
    small_clients: int,
    work: Path,
) -> dict[str, Any]:
    """Small requests from ``small_clients`` clients while ``n`` clients download ``dumps`` from
    another process, with the server's memory sampled (see module doc)."""
    import threading

    rss_start = rss_mb(server.pid)
    peak = [rss_start]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], rss_mb(server.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    dumper = None
    out = work / f"dumps-{n}.json"
    if n:
        spec = json.dumps({"port": port, "paths": list(dumps), "clients": n, "seconds": seconds + 1.0})
        dumper = subprocess.Popen(
            [sys.executable, "-m", "ktstat.api.loadtest", "--drive-dumps", spec, "--out", str(out)],
            stdout=subprocess.DEVNULL,
        )
    try:
        small = drive(port, paths, small_clients, seconds, warmup=1.0)
    finally:
        if dumper is not None:
            dumper.wait()
        stop.set()
        sampler.join()
    got = json.loads(out.read_text()) if n and out.exists() else {"dumps": 0, "dump_mb": 0.0, "dump_errors": 0}
    return {**small, "rss_mb_start": rss_start, "rss_mb_peak": peak[0], **got}


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
    """Command line (module doc); ``--serve-app`` / ``--serve-bare`` run the servers,
    ``--drive-dumps`` the dump clients."""
    ap = argparse.ArgumentParser(prog="python -m ktstat.api.loadtest")
    ap.add_argument("--store", type=Path)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-urls", type=int, default=5000)
    ap.add_argument("--dump-seconds", type=float, default=8.0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serve-app", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--body", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--drive-dumps", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
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
    elif a.drive_dumps:
        spec = json.loads(a.drive_dumps)
        got = asyncio.run(_dumps(spec["port"], spec["paths"], spec["clients"], spec["seconds"]))
        a.out.write_text(json.dumps(got))
    else:
        if a.store is None:
            ap.error("--store is required")
        got = run_loadtest(a.store, a.seconds, a.clients, a.workers, max_urls=a.max_urls, dump_seconds=a.dump_seconds)
        print(json.dumps(got, indent=1))


if __name__ == "__main__":
    main()
