"""Warm check latency of `handcalc serve`: the time the server takes to answer a check
(POST /api/answer: parse the boxes, grade with carried-forward priors and the mistake
search, render the new state), read from its Server-Timing header, and the round trip
seen by a client on the same machine; median and p95 over the checks, beside the target.

Target: at most 50 ms at the server (the terminal's `check` pays about 0.5 s of start-up).
Run: .venv/bin/python benchmarks/serve_speed.py [--checks N]

The server runs as `handcalc serve` in a process of its own; each session works its
exercises as a learner might: every part wrong, then wrong again, then right. The first
session warms the process and is not counted; its checks (each exercise new to the
process: its exact solution and mistake paths computed then) are printed apart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build

BIN = Path(sys.executable).parent
TARGET_MS = 50
CODES = ("worked-4", "worked-5", "gqa-2-5", "attention-3-14", "causal-3-14", "mha-2-7")


def answers(code: str) -> list[tuple[list[list[str]], ...]]:
    """Per part: two wrong grids and the right one."""
    out = []
    for part in build(code).parts:
        right = [[fmt2(v) for v in row] for row in part.answer]
        zeros = [["0" for _ in row] for row in part.answer]
        ones = [["1" for _ in row] for row in part.answer]
        out.append((zeros, ones, right))
    return out


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[dict, float, float]:
    t = time.perf_counter()
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    trip = (time.perf_counter() - t) * 1000
    server = float(re.search(r"dur=([0-9.]+)", resp.getheader("Server-Timing", "")).group(1))
    if resp.status != 200:
        raise SystemExit(f"{path}: {resp.status} {data}")
    return data, server, trip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checks", type=int, default=200)
    args = ap.parse_args()
    codes = [a for c in CODES for a in ("--code", c)]
    proc = subprocess.Popen([str(BIN / "handcalc"), "serve", *codes, "--port", "0",
                             "--lang", "en"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://([0-9.]+):([0-9]+)/", proc.stdout.readline())
        conn = http.client.HTTPConnection(url.group(1), int(url.group(2)), timeout=60)
        plan = {code: answers(code) for code in CODES}
        server_ms: list[float] = []
        trip_ms: list[float] = []
        first_ms: list[float] = []  # the first session's: each exercise new to the process
        warm = False
        while len(server_ms) < args.checks:
            data, _, _ = post(conn, "/api/session", {"lang": "en"})
            token = data["session"]
            for code in CODES:
                for grids in plan[code]:
                    for cells in grids:
                        state, server, trip = post(conn, "/api/answer",
                                                   {"session": token, "cells": cells})
                        if state["error"]:  # every check must be graded
                            raise SystemExit(f"{code}: not graded: {state['error']}")
                        if warm:
                            server_ms.append(server)
                            trip_ms.append(trip)
                        else:
                            first_ms.append(server)
                post(conn, "/api/next", {"session": token})
            warm = True  # the first session warms the process: each code built once
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    n = len(server_ms)

    def p95(xs: list[float]) -> float:
        return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

    print(f"serve  warm check at the server  ({n} checks)  median "
          f"{statistics.median(server_ms):6.1f} ms  p95 {p95(server_ms):6.1f} ms  "
          f"max {max(server_ms):6.1f} ms  (target <= {TARGET_MS} ms)")
    print(f"serve  round trip from a client  ({n} checks)  median "
          f"{statistics.median(trip_ms):6.1f} ms  p95 {p95(trip_ms):6.1f} ms")
    print(f"serve  checks of exercises new to the process ({len(first_ms)} checks)  median "
          f"{statistics.median(first_ms):6.1f} ms  max {max(first_ms):6.1f} ms")


if __name__ == "__main__":
    main()
