#!/usr/bin/env python3
"""Checks the benchmark's HiGHS peer on a small exact case: one capability of the exercise
scenario whose requirements have `max_nations`, which HiGHS solves to optimality in well under a
second. The peer must report an optimal status, write a plan whose unmet equals its own proven
bound, and that plan must pass `coalition plan verify` with the same unmet.

    python3 bench/check_peers.py [--capability C2.HQ.FWD] [--coalition PATH]

Installs highspy with pip when missing. Exit code 0 when every check holds, 1 otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fail(msg):
    print(f"check_peers: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capability", default="C2.HQ.FWD")
    ap.add_argument("--coalition", help="the coalition binary (default: cargo run --quiet --)")
    a = ap.parse_args()
    try:
        import highspy  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "highspy"], check=True)
    coalition = [a.coalition] if a.coalition else ["cargo", "run", "--locked", "--quiet", "--"]

    with open(os.path.join(ROOT, "data", "exercise.json")) as f:
        s = json.load(f)
    s["offers"] = [o for o in s["offers"] if o["capability"] == a.capability]
    s["requirements"] = [r for r in s["requirements"] if r["capability"] == a.capability]
    if not any(r.get("max_nations") for r in s["requirements"]):
        fail(f"{a.capability} has no requirement with max_nations; pick one that has")

    with tempfile.TemporaryDirectory() as tmp:
        scenario, plan = os.path.join(tmp, "scenario.json"), os.path.join(tmp, "plan.json")
        with open(scenario, "w") as f:
            json.dump(s, f)
        out = subprocess.run([sys.executable, os.path.join(HERE, "peers.py"), scenario, "--solver", "highs",
                              "--time-limit", "30", "-o", plan], capture_output=True, text=True)
        if out.returncode != 0:
            last = out.stderr.strip().splitlines()[-1:] or ["no message"]
            fail(f"peers.py failed: {last[0]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["status"] != "Optimal":
            fail(f"HiGHS did not prove optimality on {a.capability}: {result}")
        if result["unmet"] != result["bound"]:
            fail(f"the plan read back leaves {result['unmet']}, but HiGHS proved {result['bound']}: {result}")
        verify = subprocess.run(coalition + ["plan", "verify", scenario, plan], capture_output=True,
                                text=True, cwd=ROOT)
        if verify.returncode != 0:
            fail(f"coalition plan verify rejected the peer's plan: {verify.stdout.strip()} {verify.stderr.strip()}")
        found = re.search(r"unmet (\d+) weighted", verify.stdout)
        if not found or int(found.group(1)) != result["unmet"]:
            fail(f"plan verify recomputed another unmet: {verify.stdout.strip()} against {result['unmet']}")
    print(f"HiGHS peer on {a.capability}: optimal, unmet {result['unmet']} = bound, plan verified")


if __name__ == "__main__":
    main()
