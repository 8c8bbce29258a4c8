#!/usr/bin/env python3
"""Coalition planner benchmark: Coalition against general solvers, same instances, same budget.

    python3 bench/run.py [--time-limit 60] [--instances exercise,small,large] [--peers highs,cpsat]
                         [--threads N]

Builds the release binary, writes the seeded instances (`coalition generate`), installs the
peers with pip when missing (highspy, ortools), runs every solver with the same time limit and
the same threads (default: every core), checks every plan with `coalition plan verify`, and
prints a Markdown table: unmet, bound, gap, time, peak memory, whether the plan verified, and how
much sooner Coalition reached the best gap any peer reached.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from common import ROOT, TARGET, build

BIN = os.path.join(TARGET, "release", "coalition")


def sh(args, timeout=None):
    """Runs a command under /usr/bin/time; returns (stdout, stderr, peak RSS in MiB, exit code)."""
    timed = ["/usr/bin/time", "-f", "MAXRSS %M"] + args if os.path.exists("/usr/bin/time") else args
    try:
        p = subprocess.run(timed, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "", "timeout", None, -1
    rss = None
    for line in p.stderr.splitlines():
        if line.startswith("MAXRSS "):
            rss = int(line.split()[1]) / 1024
    return p.stdout, p.stderr, rss, p.returncode


def ensure_peers(peers):
    need = [pkg for pkg, mod, name in [("highspy", "highspy", "highs"), ("ortools", "ortools", "cpsat")]
            if any(p.startswith(name) for p in peers) and not importable(mod)]
    if need:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + need, check=True)


def importable(mod):
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


def gap(unmet, bound):
    if unmet is None or bound is None:
        return None
    return 0.0 if unmet == 0 else max(0, unmet - bound) / unmet


def verify(scenario, plan):
    _, err, _, code = sh([BIN, "plan", "verify", scenario, plan])
    return "yes" if code == 0 else "NO: " + err.strip().splitlines()[0][:60]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--instances", default="exercise,small,large")
    ap.add_argument("--peers", default="highs,cpsat")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads for every solver (default: every core)")
    a = ap.parse_args()
    peers = [p for p in a.peers.split(",") if p]
    ensure_peers(peers)
    build()
    work = tempfile.mkdtemp(prefix="coalition-bench-")
    rows = []
    for inst in a.instances.split(","):
        if inst == "exercise":
            scenario = os.path.join(ROOT, "data", "exercise.json")
        else:
            scenario = os.path.join(work, f"{inst}.json")
            subprocess.run([BIN, "--quiet", "generate", inst, "--seed", str(a.seed), "-o", scenario], check=True)
        plan = os.path.join(work, f"coalition-{inst}.json")
        _, err, rss, code = sh([BIN, "--quiet", "plan", scenario, "--time-limit", str(a.time_limit),
                               "--threads", str(a.threads), "-o", plan],
                               timeout=a.time_limit * 3 + 60)
        if code != 0:
            rows.append({"instance": inst, "solver": "coalition", "note": err.strip()[:80]})
            continue
        p = json.load(open(plan))
        mine = {"instance": inst, "solver": "coalition", "unmet": p["objective"]["unmet_weighted"],
                "bound": p["bound"]["unmet_weighted"], "seconds": p["stats"]["solve_ms"] / 1000, "rss": rss,
                "verified": verify(scenario, plan), "trajectory": p["stats"].get("trajectory", [])}
        rows.append(mine)
        results = []
        for peer in peers:
            out = os.path.join(work, f"{peer}-{inst}.json")
            so, err, prss, code = sh([sys.executable, os.path.join(ROOT, "bench", "peers.py"), scenario,
                                      "--solver", peer, "--time-limit", str(a.time_limit),
                                      "--threads", str(a.threads), "-o", out],
                                     timeout=a.time_limit * 10 + 300)
            line = next((l for l in so.splitlines() if l.startswith("{")), None)
            if code != 0 or line is None:
                why = "out of time building or solving the model" if err == "timeout" else (err.strip().splitlines() or ["failed"])[-1][:80]
                rows.append({"instance": inst, "solver": peer, "note": why, "rss": prss})
                continue
            r = json.loads(line)
            row = {"instance": inst, "solver": peer, "unmet": r["unmet"], "bound": r["bound"],
                   "seconds": r["seconds"], "rss": prss,
                   "verified": verify(scenario, out) if r["unmet"] is not None else "no plan"}
            rows.append(row)
            results.append(row)
        # How long Coalition took to reach the best gap any peer reached (own bounds).
        peer_gaps = [(gap(r["unmet"], r["bound"]), r["seconds"]) for r in results if gap(r["unmet"], r["bound"]) is not None]
        if peer_gaps:
            best, peer_time = min(peer_gaps)
            reached = next((t[0] / 1000 for t in mine["trajectory"] if gap(t[1], t[2]) is not None and gap(t[1], t[2]) <= best + 1e-12), None)
            mine["ratio"] = f"{peer_time / max(reached, 1e-3):.0f}x sooner" if reached is not None else "not reached"
        else:
            mine["ratio"] = "peers found no plan with a bound"
    print(f"\nTime limit {a.time_limit:g} s per solver; instances seed {a.seed}; {os.cpu_count()}-core machine, {a.threads} thread(s) for every solver.\n")
    print("| instance | solver | unmet (weighted) | bound | gap | time (s) | peak MiB | plan verified | Coalition vs peers' best gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        g = gap(r.get("unmet"), r.get("bound"))
        fmt = lambda v: "–" if v is None else v
        print(f"| {r['instance']} | {r['solver']} | {fmt(r.get('unmet'))} | {fmt(r.get('bound'))} | "
              f"{'–' if g is None else f'{100 * g:.2f} %'} | {fmt(r.get('seconds'))} | "
              f"{'–' if r.get('rss') is None else round(r['rss'])} | {r.get('verified', r.get('note', ''))} | {r.get('ratio', '')} |")


if __name__ == "__main__":
    main()
