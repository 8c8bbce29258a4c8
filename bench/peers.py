#!/usr/bin/env python3
"""General-solver peers for the Coalition planner benchmark.

Builds the direct integer model of the force-sourcing and rotation problem (the rules of
`coalition.plan/1`) from a `coalition.scenario/1` file and solves it with HiGHS (highspy) or
OR-Tools CP-SAT under a time limit. Objective (1) only: minimise priority-weighted unmet
unit-weeks. Writes the plan in `coalition.plan/1` form so that `coalition plan verify` checks it,
and prints one JSON line: solver, status, unmet, bound, seconds.

Variables y[o,r,s] >= 0 (integer): units of offer o starting a tour on requirement r in week s.
  offer capacity:   sum of y whose busy window (tour + dwell) holds week w  <= units_o
  coverage:         sum of y whose tour holds week w                        <= demand_r,w
  max_nations:      z[r,n] in {0,1}, y[o,r,s] <= units_o * z[r,nation(o)], sum_n z[r,n] <= k
  maximise          sum priority_r * weeks * y   (= total weighted demand - weighted unmet)
"""
import argparse
import json
import math
import sys
import time

ROE = {"self_defence": 0, "mandate": 1, "robust": 2}
STATUS = {"withdrawn": -1, "indicated": 0, "offered": 1, "confirmed": 2, "deployed": 3}


def demand(r, w):
    if w < r["from_week"] or w > r["to_week"]:
        return 0
    for p in r.get("profile", []):
        if p["from_week"] <= w <= p["to_week"]:
            return p["units"]
    return r["units"]


def build(s):
    h = s["weeks"]
    assume = s.get("assumptions", {})
    cands = []  # (o index, r index, start, length, busy_end)
    for oi, o in enumerate(s.get("offers", [])):
        if STATUS[o["status"]] < 0 or not all(assume.get(a, False) for a in o.get("requires", [])):
            continue
        for ri, r in enumerate(s.get("requirements", [])):
            if o["capability"] != r["capability"] or ROE[o["roe"]] < ROE[r["roe"]]:
                continue
            if "regions" in o and r["region"] not in o["regions"]:
                continue
            first = max(o["from_week"], o["notice_weeks"], r["from_week"])
            last = min(o["to_week"], r["to_week"], h - 1)
            for st in range(first, last + 1):
                ln = min(o["tour_weeks"], r["to_week"] - st + 1, o["to_week"] - st + 1, h - st)
                cands.append((oi, ri, st, ln, min(h, st + ln + o["dwell_weeks"])))
    return cands


def capacity_rows(s, cands):
    """Capacity and coverage constraints: (columns, upper bound) for each offer-week (units busy)
    and each requirement-week (units on tour)."""
    rows = {}
    for j, (oi, ri, st, ln, be) in enumerate(cands):
        for w in range(st, be):
            rows.setdefault(("o", oi, w), []).append(j)
        for w in range(st, st + ln):
            rows.setdefault(("r", ri, w), []).append(j)
    for (kind, i, w), cols in rows.items():
        yield cols, (s["offers"][i]["units"] if kind == "o" else demand(s["requirements"][i], w))


def capped(s, cands):
    """Requirements whose max_nations binds: (requirement, k, nations, [(column, nation index)])."""
    by_req = {}
    for j, c in enumerate(cands):
        by_req.setdefault(c[1], []).append(j)
    for ri, cols in sorted(by_req.items()):
        k = s["requirements"][ri].get("max_nations")
        nations = sorted({s["offers"][cands[j][0]]["nation"] for j in cols})
        if k is None or len(nations) <= k:
            continue
        yield ri, k, nations, [(j, nations.index(s["offers"][cands[j][0]]["nation"])) for j in cols]


def solve_highs(s, cands, limit, threads=1, relax=False):
    import highspy
    import numpy as np

    offers, reqs = s["offers"], s["requirements"]
    hs = highspy.Highs()
    hs.setOptionValue("output_flag", False)
    hs.setOptionValue("time_limit", float(limit))
    hs.setOptionValue("threads", threads)
    inf = highspy.kHighsInf
    n = len(cands)
    cost = [-reqs[c[1]]["priority"] * c[3] for c in cands]
    upper = [offers[c[0]]["units"] for c in cands]
    hs.addVars(n, np.zeros(n), np.array(upper, dtype=float))
    hs.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(cost, dtype=float))
    if not relax:
        hs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    for cols, ub in capacity_rows(s, cands):
        hs.addRow(-inf, float(ub), len(cols), np.array(cols, dtype=np.int32), np.ones(len(cols)))
    for ri, k, nations, members in capped(s, cands):
        base = hs.getNumCol()
        hs.addVars(len(nations), np.zeros(len(nations)), np.ones(len(nations)))
        idx = np.arange(base, base + len(nations), dtype=np.int32)
        if not relax:
            hs.changeColsIntegrality(len(nations), idx, np.array([highspy.HighsVarType.kInteger] * len(nations)))
        for j, nat in members:
            units = float(offers[cands[j][0]]["units"])
            hs.addRow(-inf, 0.0, 2, np.array([j, base + nat], dtype=np.int32), np.array([1.0, -units]))
        hs.addRow(-inf, float(k), len(nations), idx, np.ones(len(nations)))
    hs.run()
    info = hs.getInfo()
    if relax:
        # The LP optimum bounds covered from above; its fractional solution is not a plan.
        done = hs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return None, (-info.objective_function_value if done else None), hs.modelStatusToString(hs.getModelStatus())
    sol = hs.getSolution().col_value if info.primal_solution_status == 2 else None
    values = [round(sol[j]) for j in range(n)] if sol is not None else None
    # We minimise -covered, so the dual bound bounds covered from above.
    cover_ub = -info.mip_dual_bound if info.mip_dual_bound not in (inf, -inf) else None
    return values, cover_ub, hs.modelStatusToString(hs.getModelStatus())


def solve_cpsat(s, cands, limit, threads=1):
    from ortools.sat.python import cp_model

    offers, reqs = s["offers"], s["requirements"]
    m = cp_model.CpModel()
    y = [m.NewIntVar(0, offers[c[0]]["units"], f"y{j}") for j, c in enumerate(cands)]
    for cols, ub in capacity_rows(s, cands):
        m.Add(sum(y[j] for j in cols) <= ub)
    for ri, k, nations, members in capped(s, cands):
        z = [m.NewBoolVar(f"z{ri}_{n}") for n in nations]
        for j, n in members:
            m.Add(y[j] <= offers[cands[j][0]]["units"] * z[n])
        m.Add(sum(z) <= k)
    m.Maximize(sum(reqs[c[1]]["priority"] * c[3] * y[j] for j, c in enumerate(cands)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(limit)
    solver.parameters.num_workers = threads
    st = solver.Solve(m)
    values = [solver.Value(v) for v in y] if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return values, solver.BestObjectiveBound(), solver.StatusName(st)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--solver", choices=["highs", "highs-lp", "cpsat"], required=True)
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--threads", type=int, default=1, help="threads (HiGHS) or workers (CP-SAT)")
    ap.add_argument("-o", "--output")
    ap.add_argument("--verbose", action="store_true", help="with --split, print each capability's result")
    ap.add_argument("--split", action="store_true",
                    help="solve each capability as its own model (an exact decomposition), sharing the time limit")
    a = ap.parse_args()
    s = json.load(open(a.scenario))
    total = sum(r["priority"] * sum(demand(r, w) for w in range(s["weeks"])) for r in s.get("requirements", []))
    t0 = time.time()
    cands = build(s)
    pick = {"highs": solve_highs, "cpsat": solve_cpsat,
            "highs-lp": lambda s, c, t, threads: solve_highs(s, c, t, threads, relax=True)}[a.solver]

    def solve(s, c, t):
        return pick(s, c, t, a.threads)
    if a.split:
        groups = {}
        for j, c in enumerate(cands):
            groups.setdefault(s["requirements"][c[1]]["capability"], []).append(j)
        values, cover_ub, statuses = [0] * len(cands), 0.0, set()
        for i, (cap, idx) in enumerate(sorted(groups.items())):
            left = a.time_limit - (time.time() - t0)
            v, ub, st = solve(s, [cands[j] for j in idx], max(1.0, left / (len(groups) - i)))
            statuses.add(st)
            if a.verbose:
                gtotal = sum(s["requirements"][ri]["priority"] * sum(demand(s["requirements"][ri], w) for w in range(s["weeks"]))
                             for ri in sorted({cands[j][1] for j in idx}))
                gcov = None if v is None else sum(s["requirements"][cands[j][1]]["priority"] * cands[j][3] * x for j, x in zip(idx, v))
                print(json.dumps({"capability": cap, "status": st, "unmet": None if gcov is None else gtotal - gcov,
                                  "bound": None if ub is None else math.ceil(gtotal - ub - 1e-6)}), file=sys.stderr)
            if v is None or values is None:
                values = None
            else:
                for j, x in zip(idx, v):
                    values[j] = x
            cover_ub = None if ub is None or cover_ub is None else cover_ub + ub
        status = ",".join(sorted(statuses))
    else:
        values, cover_ub, status = solve(s, cands, a.time_limit)
    secs = time.time() - t0
    unmet = None
    if values is not None:
        covered = sum(s["requirements"][c[1]]["priority"] * c[3] * v for c, v in zip(cands, values))
        unmet = total - covered
        if a.output:
            tours = [{"offer": s["offers"][c[0]]["id"], "nation": s["offers"][c[0]]["nation"],
                      "requirement": s["requirements"][c[1]]["id"], "start_week": c[2], "weeks": c[3], "units": v}
                     for c, v in zip(cands, values) if v > 0]
            write_plan(s, tours, unmet, a.output)
    # Requirements nobody can serve add their whole demand to the bound.
    bound = None if cover_ub is None else max(0, math.ceil(total - cover_ub - 1e-6))
    print(json.dumps({"solver": a.solver, "status": status, "columns": len(cands), "unmet": unmet,
                      "bound": bound, "seconds": round(secs, 2)}))


def write_plan(s, tours, unmet, path):
    h = s["weeks"]
    offers = {o["id"]: o for o in s["offers"]}
    cover = {}
    nations = {}
    cost = 0.0
    for t in tours:
        for w in range(t["start_week"], t["start_week"] + t["weeks"]):
            cover[(t["requirement"], w)] = cover.get((t["requirement"], w), 0) + t["units"]
        nations.setdefault(t["requirement"], set()).add(t["nation"])
        cost += t["units"] * t["weeks"] * offers[t["offer"]]["cost_per_unit_week"]
    uw = sum(max(0, demand(r, w) - cover.get((r["id"], w), 0)) for r in s["requirements"] for w in range(h))
    plan = {"format": "coalition.plan/1", "scenario": s["name"], "options": {"min_status": "indicated"},
            "status": "feasible", "objective": {"unmet_weighted": unmet, "unmet_unit_weeks": uw, "cost": cost,
                                                "nations": sum(len(v) for v in nations.values())},
            "bound": {"unmet_weighted": 0}, "tours": tours, "gaps": [],
            "stats": {"solve_ms": 0, "iterations": 0, "bound_iterations": 0, "components": 0}}
    json.dump(plan, open(path, "w"), indent=2)


if __name__ == "__main__":
    sys.exit(main())
