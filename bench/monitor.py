#!/usr/bin/env python3
"""Monitoring benchmark: correlation against DBSCAN peers, and HTTP batch ingest.

    python3 bench/monitor.py [--n 1000000] [--ingest 100000] [--seed 7] [--runs 5]

1. Generates a synthetic observation stream along a notional contact line with known ground
   truth (which observations saw one event): events over several days; each seen by one to
   four observers, with position noise inside their stated error radius and minutes of time
   jitter. Rows are in order of observed time, as a live feed delivers them.
2. Correlates it with Coalition (`coalition monitor correlate`, release build, in memory) and
   with the peers on the same data: scikit-learn's DBSCAN on (x, y, t scaled) and, when the
   PostGIS extension is installed, PostgreSQL's ST_ClusterDBSCAN (per hour window). Each
   correlates the data `--runs` times, the three taking turns round after round, and its
   median time counts (a shared machine's times vary from run to run and drift over minutes). Prints each one's time, the time ratios, peak memory of Coalition's
   process, and pairwise precision and recall against the truth.
3. Serves Coalition on a fresh SQLite file and posts the first `--ingest` observations in
   batches of 1,000 over HTTP (each batch committed before it is answered: SQLite in WAL mode
   with synchronous=NORMAL, which survives a crash of the process but not necessarily of the
   machine), printing observations per second.

Installs scikit-learn into bench/.venv-monitor on first use (from PyPI). PostGIS is not
installed by this script: `apt-get install postgresql-15-postgis-3` to include that peer; it runs
in a scratch database on the server named by COALITION_TEST_PG (default
postgres://postgres@127.0.0.1:5432/test), created with the extension and dropped afterwards.
After loading its table and after each timed run it analyses the table it wrote and asks for a
checkpoint, untimed, so that the server's background work does not overlap the next
correlator's timing.
"""

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict

from common import ROOT, add_users, build, serving

VENV = os.path.join(ROOT, "bench", ".venv-monitor")
R = 6_371_008.8
ORIGIN = (47.9, 37.5)  # notional, somewhere along a contact line
KINDS = ["shelling", "small_arms_fire", "drone_strike", "armed_clash"]


def xy_to_latlon(x, y):
    lat = ORIGIN[0] + math.degrees(y / R)
    lon = ORIGIN[1] + math.degrees(x / (R * math.cos(math.radians(ORIGIN[0]))))
    return lat, lon


def generate(n, seed, path):
    """Writes n observations as CSV; returns the truth (observation id → event id)."""
    rng = random.Random(seed)
    truth = {}
    t0 = 1742256000  # 2025-03-18T00:00:00Z
    days = max(1, n // 100_000)
    rows = []
    event = 0
    while len(rows) < n:
        event += 1
        # Events along a 300 km line with a few km of depth, spread over the days.
        s = rng.uniform(0, 300_000)
        x = s * 0.8 + rng.gauss(0, 2_000)
        y = s * 0.6 + rng.gauss(0, 2_000)
        t = t0 + rng.uniform(0, days * 86_400)
        kind = rng.choice(KINDS)
        for k in range(rng.choice([1, 1, 2, 2, 3, 4])):
            if len(rows) >= n:
                break
            oid = f"E{event}-{k}"
            truth[oid] = event
            radius = rng.choice([100, 150, 200, 300])
            # Inside the stated radius (most of the time), a few minutes' jitter.
            ox = x + rng.gauss(0, radius / 2.5)
            oy = y + rng.gauss(0, radius / 2.5)
            start = t + rng.uniform(-120, 120)
            lat, lon = xy_to_latlon(ox, oy)
            rows.append((oid, start, kind, lat, lon, radius))
    # In order of time, as a feed delivers them: rows grouped by event would tell a correlator
    # that takes them in order which ones belong together.
    rows.sort(key=lambda r: r[1])
    with open(path, "w") as f:
        f.write("id,observed_from,observed_to,reported,observer,kind,count_best,lat,lon,radius_m\n")
        for oid, start, kind, lat, lon, radius in rows:
            a = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
            b = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 60))
            c = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 600))
            f.write(f"{oid},{a},{b},{c},patrol,{kind},1,{lat:.6f},{lon:.6f},{radius}\n")
    return truth, rows


def pairwise(truth, predicted):
    """Pairwise precision and recall of a clustering against the truth."""
    def pairs(counter):
        return sum(c * (c - 1) // 2 for c in counter.values())

    both = Counter((predicted[o], truth[o]) for o in truth if o in predicted)
    tp = pairs(both)
    pred_pairs = pairs(Counter(predicted[o] for o in truth if o in predicted))
    true_pairs = pairs(Counter(truth.values()))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    return precision, recall


def run_coalition(binary, csv_path, work):
    out = os.path.join(work, "assignments.csv")
    # A fresh interpreter runs Coalition, so its children's peak memory is Coalition's alone.
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True); "
             "sys.stdout.write(r.stdout); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", probe, binary, "--json", "monitor", "correlate", csv_path,
                        "--assignments", out], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    peak_kib = int(p.stderr.strip().splitlines()[-1])
    summary = json.loads(p.stdout)
    predicted = {}
    with open(out) as f:
        next(f)
        for line in f:
            oid, inc = line.rstrip("\n").split(",")
            predicted[oid] = int(inc)
    return summary, predicted, wall, peak_kib


def ensure_sklearn():
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    probe = subprocess.run([py, "-c", "import sklearn, numpy"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "--quiet", "scikit-learn", "numpy"], check=True)
    return py


DBSCAN_PEER = r"""
import json, math, sys, time
import numpy as np
from sklearn.cluster import DBSCAN
rows = json.load(open(sys.argv[1]))
R = 6371008.8
lat0, lon0 = 47.9, 37.5
ids = [r[0] for r in rows]
lat = np.array([r[3] for r in rows]); lon = np.array([r[4] for r in rows]); t = np.array([r[1] for r in rows])
x = np.radians(lon - lon0) * R * math.cos(math.radians(lat0)); y = np.radians(lat - lat0) * R
# One metre per second of time: observations minutes apart are hundreds of metres apart.
X = np.column_stack([x, y, (t - t.min()) * 1.0])
seconds = []
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    labels = DBSCAN(eps=600.0, min_samples=1, algorithm="kd_tree").fit_predict(X)
    seconds.append(time.perf_counter() - started)
json.dump({"seconds": seconds, "labels": dict(zip(ids, [int(l) for l in labels]))}, open(sys.argv[2], "w"))
"""


class Dbscan:
    """scikit-learn's DBSCAN, kind by kind (each kind's rows written once); each `round()`
    clusters every kind again and returns the total time."""

    def __init__(self, rows, work, kinds_apart=True):
        self.py = ensure_sklearn()
        self.work = work
        self.script = os.path.join(work, "dbscan_peer.py")
        with open(self.script, "w") as f:
            f.write(DBSCAN_PEER)
        groups = defaultdict(list)
        for r in rows:
            groups[r[2] if kinds_apart else ""].append(r)
        self.kinds = []
        for kind, part in groups.items():
            src = os.path.join(work, f"rows-{kind}.json")
            with open(src, "w") as f:
                json.dump(part, f)
            self.kinds.append(kind)
        self.predicted = {}

    def round(self):
        total = 0.0
        for kind in self.kinds:
            src = os.path.join(self.work, f"rows-{kind}.json")
            dst = os.path.join(self.work, f"labels-{kind}.json")
            subprocess.run([self.py, self.script, src, dst, "1"], check=True)
            res = json.load(open(dst))
            total += res["seconds"][0]
            for oid, label in res["labels"].items():
                self.predicted[oid] = f"{kind}:{label}"
        return total


class PostGIS:
    """ST_ClusterDBSCAN in a scratch database (created, with the PostGIS extension, and dropped),
    the rows loaded once; each `round()` clusters them again and returns its time."""

    def __init__(self, rows):
        self.url = os.environ.get("COALITION_TEST_PG", "postgres://postgres@127.0.0.1:5432/test")
        self.psql = shutil.which("psql")
        self.scratch = f"coalition_bench_postgis_{os.getpid()}"
        self.work = tempfile.mkdtemp(prefix="coalition-postgis-")
        self.created = False
        self.why = None
        if not self.psql:
            self.why = "psql not found"
            return
        admin = subprocess.run([self.psql, self.url, "-qtAc", f"CREATE DATABASE {self.scratch}"],
                               capture_output=True, text=True)
        if admin.returncode != 0:
            self.why = f"cannot create a scratch database: {admin.stderr.strip()}"
            return
        self.created = True
        self.db = f"{self.url.rsplit('/', 1)[0]}/{self.scratch}"
        probe = subprocess.run([self.psql, self.db, "-qtAc", "CREATE EXTENSION postgis"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.why = "PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
            return
        path = os.path.join(self.work, "rows.csv")
        with open(path, "w") as f:
            for oid, start, kind, lat, lon, _ in rows:
                f.write(f"{oid},{start},{kind},{lat},{lon}\n")
        load = f"""
CREATE TABLE bench_obs (id text, t double precision, kind text, lat double precision, lon double precision);
\\copy bench_obs FROM '{path}' WITH (FORMAT csv)
ALTER TABLE bench_obs ADD COLUMN g geometry;
UPDATE bench_obs SET g = ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32637);
"""
        # On failure `why` says so, and no round runs.
        self.sql(load)
        self.settle("bench_obs")

    def sql(self, script):
        p = subprocess.run([self.psql, self.db, "-q", "-v", "ON_ERROR_STOP=1"], input=script,
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.why = p.stderr.strip().splitlines()[-1] if p.stderr else "failed"
            return None
        return p.stdout

    def round(self):
        """Seconds to cluster the rows once, or None (the reason in `why`)."""
        out = self.sql("""
DROP TABLE IF EXISTS bench_out;
\\timing on
CREATE TABLE bench_out AS SELECT id, kind || ':' || floor(t / 3600)::text || ':' ||
  ST_ClusterDBSCAN(g, eps := 600, minpoints := 1) OVER (PARTITION BY kind, floor(t / 3600)) AS c FROM bench_obs;
\\timing off
""")
        if out is None:
            return None
        self.settle("bench_out")
        ms = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time:")]
        return ms[0] / 1000.0 if ms else None

    def settle(self, table):
        """Untimed: does now the work the server would otherwise do in the background after
        writing `table` (autovacuum's analyze, a checkpoint), so that it does not run while the
        next correlator is being timed. Best effort: a failure here changes no result."""
        subprocess.run([self.psql, self.db, "-q", "-c", f"VACUUM ANALYZE {table}", "-c", "CHECKPOINT"],
                       capture_output=True, text=True)

    def labels(self):
        path = os.path.join(self.work, "out.csv")
        if self.sql(f"\\copy bench_out TO '{path}' WITH (FORMAT csv)\n") is None:
            return None
        predicted = {}
        with open(path) as f:
            for line in f:
                oid, c = line.rstrip("\n").split(",", 1)
                predicted[oid] = c
        return predicted

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)
        if self.created:
            subprocess.run([self.psql, self.url, "-qtAc", f"DROP DATABASE IF EXISTS {self.scratch}"],
                           capture_output=True, text=True)


def runs_text(times):
    return ", ".join(f"{t:.2f}" for t in times)


def ingest(binary, csv_path, n, work):
    db = os.path.join(work, "ingest.db")
    env = dict(os.environ, COALITION_DATABASE_URL=f"sqlite://{db}")
    subprocess.run([binary, "-q", "db", "migrate"], env=env, check=True)
    secret = add_users(binary, env, [("bench", "monitor")])["bench"]
    port = 18000 + os.getpid() % 1000
    with serving(binary, env, port):
        with open(csv_path) as f:
            header = next(f)
            lines = [next(f) for _ in range(n)]
        batches = [header + "".join(lines[i:i + 1000]) for i in range(0, len(lines), 1000)]
        bodies = [json.dumps({"csv": b}).encode() for b in batches]
        started = time.perf_counter()
        accepted = 0
        for body in bodies:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/observations", data=body,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {secret}"})
            with urllib.request.urlopen(req, timeout=600) as r:
                accepted += len(json.load(r)["accepted"])
        elapsed = time.perf_counter() - started
        return accepted, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--ingest", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5, help="runs of each correlator; the median time counts")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="coalition-monitor-bench-")
    csv_path = os.path.join(work, "observations.csv")
    print(f"generating {args.n:,} observations (seed {args.seed}) in {work}")
    truth, rows = generate(args.n, args.seed, csv_path)
    print(f"  {len(set(truth.values())):,} events")
    binary = build()

    # The correlators take turns, round after round, so that a machine that speeds up or slows
    # down over the minutes of a run weighs on each alike.
    dbscan = Dbscan(rows, work)
    postgis = PostGIS(rows)
    times, dts, pts = [], [], []
    try:
        for _ in range(args.runs):
            summary, predicted, wall, peak_kib = run_coalition(binary, csv_path, work)
            times.append(summary["correlate_ms"] / 1000.0)
            dts.append(dbscan.round())
            if postgis.why is None:
                t = postgis.round()
                if t is not None:
                    pts.append(t)
        pg_labels = postgis.labels() if postgis.why is None and pts else None
    finally:
        postgis.close()

    c_time = statistics.median(times)
    cp, cr = pairwise(truth, predicted)
    results = [("Coalition", c_time, cp, cr)]
    print(f"Coalition: correlate {c_time:.2f} s (median of {runs_text(times)}; read {summary['parse_ms'] / 1000:.2f} s, process {wall:.2f} s, "
          f"peak memory {peak_kib / 1024:.0f} MiB), {summary['incidents']:,} incidents, "
          f"precision {cp:.4f}, recall {cr:.4f}")

    dt = statistics.median(dts)
    p, r = pairwise(truth, dbscan.predicted)
    results.append(("scikit-learn DBSCAN", dt, p, r))
    print(f"scikit-learn DBSCAN (x, y, t at 1 m/s; eps 600 m; per kind): {dt:.2f} s (median of {runs_text(dts)}), precision {p:.4f}, recall {r:.4f}")

    if pg_labels is None:
        print(f"PostGIS ST_ClusterDBSCAN: skipped: {postgis.why}")
    else:
        pt = statistics.median(pts)
        p, r = pairwise(truth, pg_labels)
        results.append(("PostGIS ST_ClusterDBSCAN", pt, p, r))
        print(f"PostGIS ST_ClusterDBSCAN (eps 600 m, per kind and hour): {pt:.2f} s (median of {runs_text(pts)}), precision {p:.4f}, recall {r:.4f}")

    peers = [x for x in results[1:]]
    fastest = min(peers, key=lambda x: x[1])
    print(f"speed: Coalition is {fastest[1] / c_time:.1f}× the fastest peer ({fastest[0]}); target ≥ 10×")
    print(f"quality: Coalition precision {cp:.4f}, recall {cr:.4f}; target ≥ 0.95 each")
    print(f"memory: Coalition peak {peak_kib / 1024:.0f} MiB; target < 1024 MiB")

    if args.ingest:
        accepted, elapsed = ingest(binary, csv_path, min(args.ingest, args.n), work)
        print(f"HTTP batch ingest into SQLite: {accepted:,} observations in {elapsed:.1f} s = "
              f"{accepted / elapsed:,.0f} per second (batches of 1,000; target ≥ 20,000)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
