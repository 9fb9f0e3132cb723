"""Benchmark: how fast the Inbox page answers over real HTTP on a loaded workspace (the large demo).

    .venv/bin/accord --workspace W demo --scale large --no-serve     # once, about ten minutes
    .venv/bin/python bench/inbox_large.py W [--requests 200]

It serves W with `accord serve` on a free local port, logs in as the demo owner (setting a fresh password
the way `accord demo` does), then requests the Inbox as a busy person would use it: the whole list,
each channel's filter, and the API's inbox, and prints median and p95 latencies per kind of request.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ACCORD = Path(sys.executable).parent / "accord"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    """Milliseconds per request for `count` requests of one path."""
    spent = []
    for _ in range(count):
        start = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        answer.raise_for_status()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    login = subprocess.run([str(ACCORD), "--workspace", str(args.workspace), "demo", "--scale", "large", "--no-serve"],
                           capture_output=True, text=True, check=True)
    password = re.search(r"with password (\S+)", login.stdout).group(1)
    port = free_port()
    server = subprocess.Popen([str(ACCORD), "--workspace", str(args.workspace), "serve"],
                              env={**os.environ, "ACCORD_PORT": str(port)}, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"email": "owner@kasikitchen.co.za", "password": password,
                                        "csrf_token": token})
            first = client.get("/inbox")
            channels = re.findall(r'data-channel="([a-z_]+)"', first.text)
            waiting = re.search(r'id="inbox-total">([^<]+)<', first.text).group(1)
            runs = {"/inbox": timed(client, "/inbox", args.requests)}
            per_channel = []
            for channel in channels:
                per_channel += timed(client, f"/inbox?channel={channel}", max(1, args.requests // len(channels)))
            runs["/inbox?channel=… (each channel)"] = per_channel
            runs["/inbox?kind=comment"] = timed(client, "/inbox?kind=comment", args.requests)
        print(f"waiting: {waiting}; channels: {len(channels)}")
        print("| request | n | median ms | p95 ms |")
        print("|---|---:|---:|---:|")
        for path, spent in runs.items():
            p95 = statistics.quantiles(spent, n=20)[18]
            print(f"| `{path}` | {len(spent)} | {statistics.median(spent):.1f} | {p95:.1f} |")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
