#!/usr/bin/env python3
"""Load test: many concurrent connections on loopback against a real Coalition server.

    python3 bench/load.py [--seconds 60] [--connections 200] [--batch 20]

Builds the release binary, loads the exercise scenario into a fresh SQLite file, serves it,
and drives it with wrk (Debian package `wrk`, installed with apt-get when missing):

1. reads: offers, nations, requirements, commitments, incidents and the daily report, signed
   in with an API token, spread over the connections;
2. batch ingest: each request posts a batch of observations (CSV, unique ids) that the server
   acknowledges only once it is committed.

For each phase it prints requests per second, p50/p99 latency, responses that were not 2xx and
socket errors, and the server's resident memory at the start, at its peak and at the end,
sampled every half second from /proc. Exit code 1 if any request failed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from common import add_users, build, serving

READS = """
local paths = {"/api/v1/offers?per_page=50", "/api/v1/nations", "/api/v1/requirements",
  "/api/v1/commitments", "/api/v1/incidents", "/api/v1/reports/daily", "/api/v1/offers/%s"}
local i = 0
request = function()
  i = i + 1
  local p = paths[(i %% #paths) + 1]
  return wrk.format("GET", p, {["Authorization"] = "Bearer %s"})
end
"""

INGEST = """
local counter = 0
local thread_id = 0
local threads = {}
setup = function(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local rows = {"id,observed_from,observed_to,reported,observer,kind,lat,lon,radius_m"}
  for j = 1, %d do
    local n = counter * %d + j
    local minute = n %% 1440
    local t = string.format("2025-03-18T%%02d:%%02d:00Z", math.floor(minute / 60), minute %% 60)
    local lat = 47.5 + (n %% 997) * 0.001
    local lon = 37.0 + (n %% 991) * 0.001
    rows[#rows + 1] = string.format("load-%%d-%%d,%%s,%%s,%%s,patrol,shelling,%%.5f,%%.5f,300",
      tid, n, t, t, t, lat, lon)
  end
  local body = '{"csv":"' .. table.concat(rows, "\\\\n") .. '"}'
  return wrk.format("POST", "/api/v1/observations",
    {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"}, body)
end
"""

COMMON = """
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
"""


def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk (apt-get)…", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"VmRSS:\s+(\d+)", f.read())
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append(rss_kib(self.pid))
            time.sleep(0.5)


def wrk(script, url, seconds, connections, work, name):
    path = os.path.join(work, f"{name}.lua")
    with open(path, "w") as f:
        f.write(script + COMMON)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                          "-s", path, url], capture_output=True, text=True)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("RESULT "):])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--batch", type=int, default=20, help="observations per ingest request")
    args = ap.parse_args()
    ensure_wrk()
    coalition = build()
    work = tempfile.mkdtemp(prefix="coalition-load-")
    env = dict(os.environ, COALITION_DATABASE_URL=f"sqlite://{os.path.join(work, 'load.db')}",
               COALITION_LOG="warn")
    subprocess.run([coalition, "-q", "demo", "--no-serve"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    tokens = add_users(coalition, env, [("load", "planner"), ("loadmon", "monitor")],
                       password="a long enough load-test password")
    port = 19000 + os.getpid() % 1000
    url = f"http://127.0.0.1:{port}"
    failed = False
    try:
        with serving(coalition, env, port, stderr=subprocess.PIPE) as server:
            req = urllib.request.Request(f"{url}/api/v1/offers?per_page=1",
                                         headers={"Authorization": f"Bearer {tokens['load']}"})
            with urllib.request.urlopen(req) as r:
                item = json.load(r)["items"][0]
                offer = item["offer"]["id"] if "offer" in item else item["id"]
            rows = []
            phases = [
                ("reads", READS % (offer, tokens["load"])),
                (f"ingest ({args.batch} observations a request)",
                 INGEST % (args.batch, args.batch, tokens["loadmon"])),
            ]
            for name, script in phases:
                sampler = Sampler(server.pid)
                sampler.start()
                result = wrk(script, url, args.seconds, args.connections, work, name.split()[0])
                sampler.stop.set()
                sampler.join()
                s = sampler.samples or [0]
                errors = sum(result[k] for k in ["connect_errors", "read_errors", "write_errors",
                                                   "timeouts", "non_2xx"])
                failed |= errors > 0
                rows.append((name, result, errors, s[0], max(s), s[-1]))
            alive = server.poll() is None
            failed |= not alive
    finally:
        shutil.rmtree(work, ignore_errors=True)
    err = server.log
    print(f"\n{args.connections} connections, {args.seconds} s per phase, wrk -t2, loopback, SQLite\n")
    print("| phase | requests/s | p50 | p99 | max | failed | server memory start / peak / end |")
    print("|---|---|---|---|---|---|---|")
    for name, r, errors, start, peak, end in rows:
        per_s = r["requests"] / r["seconds"]
        extra = f" ({per_s * args.batch:,.0f} observations/s)" if name.startswith("ingest") else ""
        print(f"| {name} | {per_s:,.0f}{extra} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
              f"{r['max_ms']:.0f} ms | {errors} of {r['requests']:,} | "
              f"{start / 1024:.0f} / {peak / 1024:.0f} / {end / 1024:.0f} MiB |")
    print(f"\nserver alive after the load: {'yes' if alive else 'NO'}")
    if "panicked" in (err or ""):
        print("the server log shows a panic", file=sys.stderr)
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
