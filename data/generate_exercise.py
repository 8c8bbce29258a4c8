#!/usr/bin/env python3
"""Writes data/exercise.json: the notional exercise scenario STEADFAST TRUCE (coalition.scenario/1).

Deterministic (random.Random(2025), stdlib only). Force numbers, offers and requirements are
invented exercise data; only the commitments whose ids start with PUB- record public reporting.
Run from anywhere: python3 data/generate_exercise.py
"""
import datetime as dt
import json
import pathlib
import random
import re

rng = random.Random(2025)
OUT = pathlib.Path(__file__).resolve().parent / "exercise.json"
START, WEEKS = dt.date(2026, 1, 5), 104
ASSUMPTIONS = {"us_backstop": True}

# ---------------------------------------------------------------- nations
N, E = ["NATO"], ["EU"]
NE = N + E
NATIONS = [  # code, name, memberships, role
    ("GBR", "United Kingdom", N), ("FRA", "France", NE), ("DEU", "Germany", NE), ("ITA", "Italy", NE),
    ("ESP", "Spain", NE), ("NLD", "Netherlands", NE), ("BEL", "Belgium", NE), ("LUX", "Luxembourg", NE),
    ("DNK", "Denmark", NE), ("NOR", "Norway", N), ("SWE", "Sweden", NE), ("FIN", "Finland", NE),
    ("ISL", "Iceland", N), ("EST", "Estonia", NE), ("LVA", "Latvia", NE), ("LTU", "Lithuania", NE),
    ("POL", "Poland", NE), ("CZE", "Czechia", NE), ("ROU", "Romania", NE), ("BGR", "Bulgaria", NE),
    ("HRV", "Croatia", NE), ("SVN", "Slovenia", NE), ("PRT", "Portugal", NE), ("IRL", "Ireland", E),
    ("GRC", "Greece", NE), ("CYP", "Cyprus", E), ("AUT", "Austria", E), ("TUR", "Türkiye", N),
    ("CAN", "Canada", N), ("AUS", "Australia", []), ("NZL", "New Zealand", []), ("JPN", "Japan", []),
    ("UKR", "Ukraine", [], "host"), ("USA", "United States", N, "backstop"),
    ("RUS", "Russian Federation", ["CSTO"]),  # listed only because a PUB- statement cites it
]

# ---------------------------------------------------------------- capabilities
# alias: code, name, domain, personnel per unit, APP-6 D SIDC (reality, friend, present), base cost
CAPS = {
    "INF": ("LAND.INF.BN", "Light infantry battalion", "land", 600, "10031000161211000000", 1800),
    "MECH": ("LAND.MECH.BN", "Mechanised infantry battalion", "land", 650, "10031000161211020000", 2400),
    "ARMD": ("LAND.ARMD.SQN", "Armoured squadron (main battle tanks)", "land", 110, "10031000151205000000", 700),
    "FTR": ("AIR.FTR.SQN", "Fighter squadron detachment", "air", 180, "10030100001101040000", 2600),
    "AAR": ("AIR.AAR", "Air-to-air refuelling tanker detachment", "air", 60, "10030100001101090000", 900),
    "AEW": ("AIR.AEW", "Airborne early warning and control detachment", "air", 90, "10030100001101160000", 1100),
    "GBAD": ("AIR.GBAD.BTY", "Ground-based air defence battery", "air", 130, "10031000151301020000", 900),
    "HEL": ("AIR.HEL.SQN", "Utility helicopter squadron", "air", 150, "10031000161206000000", 1300),
    "MPA": ("SEA.MPA", "Maritime patrol aircraft detachment", "sea", 70, "10030100001101100000", 600),
    "MCM": ("SEA.MCM", "Mine countermeasures vessel", "sea", 45, "10033000001204050000", 250),
    "FFG": ("SEA.FFG", "Frigate (escort)", "sea", 190, "10033000001202040000", 1500),
    "UAV": ("ISR.UAV.MALE", "Medium-altitude long-endurance UAV detachment", "air", 60, "10030100001103000000", 350),
    "MON": ("ISR.MON.TEAM", "Ceasefire monitoring team", "joint", 12, "10031000111212000000", 40),
    "HQ": ("C2.HQ.CORPS", "Multinational three-star headquarters staff element", "joint", 450, "10031020221804000000", 1200),
    "FWD": ("C2.HQ.FWD", "Forward headquarters", "joint", 150, "10031020181100000000", 500),
    "LOG": ("LOG.BN", "Logistics battalion", "land", 450, "10031000161606000000", 1100),
    "MED": ("MED.ROLE2", "Role 2 medical treatment facility", "land", 90, "10031000151614000000", 300),
    "EOD": ("ENG.EOD.COY", "Explosive ordnance disposal and demining company", "land", 110, "10031000151408000000", 260),
    "TRG": ("TRG.TEAM", "Training and mentoring team", "land", 40, "10031000111211000000", 90),
    "CBRN": ("CBRN.DEF.COY", "CBRN defence company", "land", 120, "10031000151401000000", 320),
}
CODE = {a: c[0] for a, c in CAPS.items()}
AIRLIKE, SEA = {"FTR", "AAR", "AEW", "MPA", "UAV"}, {"MCM", "FFG", "MPA"}
COMBAT, SOFT = {"INF", "MECH", "ARMD", "FTR", "GBAD", "FFG"}, {"MON", "TRG", "MED", "EOD"}

# ---------------------------------------------------------------- sources
SOURCES = [
    dict(id="WIRE-2025-03-02", title="Starmer: Europe to carry the main load of securing a Ukraine truce, with US "
         "backing sought; UK export finance for air-defence missiles", publisher="International wire report "
         "(London dateline)", published="2025-03-02", reference="Wire report, London, 2 March 2025", grading="B2"),
    dict(id="WIRE-2025-03-18", title="UK expects more than 30 countries in the coalition of the willing; military "
         "planners to meet in Britain", publisher="International wire report (London dateline)",
         published="2025-03-18", reference="Wire report, London, 18 March 2025", grading="B2"),
    dict(id="EX-FSC-1", title="Exercise force-sourcing conference record 1", publisher="Coalition HQ J5 (exercise)",
         published="2025-04-17", reference="STEADFAST TRUCE FSC-1 record (exercise, notional)", grading="A1"),
    dict(id="EX-FSC-2", title="Exercise force-sourcing conference record 2", publisher="Coalition HQ J5 (exercise)",
         published="2025-10-09", reference="STEADFAST TRUCE FSC-2 record (exercise, notional)", grading="A1"),
]

# ---------------------------------------------------------------- offers (notional)
# Token: ALIAS + units + flags. u = requires us_backstop, o = outside Ukraine only, w = western Ukraine
# and Poland only, l = late start, e = early end, a/b = first/second year of the forward HQ rotation.
SPEC = {
    "GBR": "INF2u INF1ul ARMD2u ARMD1l FTR2 FTR1lu AAR1 MCM2 FFG1 FWD2a HQ1 TRG3 UAV2 LOG1 MED1 MON3 EOD1 HEL1u",
    "FRA": "INF2u INF1l MECH1u ARMD2u FTR2 FTR1lu AAR1 AEW1 FFG1 MCM1 HQ1 FWD2b GBAD1u MED1 TRG2 LOG1 MON2 UAV1u",
    "DEU": "MECH1ou GBAD2o GBAD1u FTR1o FTR1ol MCM1o LOG1o MED1o TRG3o HQ1o UAV1o",
    "ITA": "FTR1 FTR1lu FFG1 MCM1 GBAD1 TRG2 LOG1 AAR1 HQ1",
    "ESP": "MECH1u FTR1 FFG1 MCM1 GBAD1 MED1 TRG1 EOD1 MON2",
    "NLD": "INF1u FTR1u MCM2 GBAD1u EOD1 TRG2 MON2 FWD1b HEL1",
    "BEL": "INF1u MCM1 FTR1 EOD1 MED1 MON1", "LUX": "MON1 TRG1",
    "DNK": "MECH1u FTR1u FFG1 EOD1 TRG2 MON2", "NOR": "MCM1 FFG1 FTR1 GBAD1u MPA1 MED1 TRG2w",
    "SWE": "MECH1u FTR1 AEW1u TRG2w MON2 MCM1 CBRN1", "FIN": "TRG2w EOD2 MON2 CBRN1", "ISL": "MON1",
    "EST": "MON2 TRG1 EOD1", "LVA": "TRG1 MON1 EOD1", "LTU": "INF1ulw TRG1 MON2",
    "POL": "LOG2 LOG1l FTR1u GBAD1 MED1 TRG2 MECH1 HQ1", "CZE": "CBRN1u MED1 TRG1 MON2 EOD1",
    "ROU": "FTR1u MCM1 FFG1 LOG1 MED1 GBAD1", "BGR": "MCM1 FFG1", "HRV": "TRG1 MED1", "SVN": "MON1 TRG1",
    "PRT": "INF1ul FFG1 MON2 MED1", "IRL": "MON2 MED1 EOD1 TRG1", "GRC": "FFG1 MCM1 LOG1", "CYP": "MED1o MON1",
    "AUT": "MON2 EOD1 MED1 CBRN1", "TUR": "FFG2 MCM2 MECH1u INF1u LOG1",
    "CAN": "MECH1u TRG3 FTR1u AAR1 FFG1 EOD1 MON2 LOG1", "AUS": "AEW1u TRG2w MON1 INF1ul", "NZL": "TRG2w MON1",
    "JPN": "MED1 LOG1 TRG1",
}
OUTSIDE = {"ITA", "POL", "ROU", "BGR", "HRV", "GRC", "JPN"}  # national positions in this exercise
SELF_DEFENCE_ONLY = {"IRL", "AUT", "CYP", "JPN", "ISL", "NZL", "LUX"}
WEST = ["UA-46", "UA-07", "UA-26", "UA-21", "UA-56", "UA-61", "PL-EAST"]
DEPLOYED = {("GBR", "FWD"), ("POL", "LOG"), ("FRA", "HQ")}  # enabling elements in place at week 0
NOTES = {"ITA": "National position: no troops on Ukrainian soil; serves from Poland, Romania or at sea.",
         "POL": "Serves from Polish territory only (logistics hub and rear area).",
         "ROU": "Serves from Romanian territory and at sea only.", "JPN": "Non-combat support outside Ukraine only."}


def regions_for(nat, a, flags):
    if nat in OUTSIDE or "o" in flags:
        if a in SEA - {"MPA"}:
            return ["BLACK-SEA"]
        return {"POL": ["PL-EAST"], "ROU": ["RO-EAST", "BLACK-SEA"]}.get(nat, ["PL-EAST", "RO-EAST"])
    return WEST if "w" in flags else None


def roe_for(nat, a):
    if nat in SELF_DEFENCE_ONLY:
        return "self_defence"
    r = rng.random()
    if a in COMBAT:
        return "robust" if r < 0.75 else "mandate"
    if a in SOFT:
        return "self_defence" if r < 0.6 else "mandate"
    return "mandate" if r < 0.7 else ("robust" if r < 0.85 else "self_defence")


offers = []
for nat, spec in SPEC.items():
    for i, tok in enumerate(spec.split(), 1):
        a, units, flags = re.fullmatch(r"([A-Z]+)(\d)([a-z]*)", tok).groups()
        units, fixed = int(units), (nat, a) in DEPLOYED
        frm = 0 if fixed or rng.random() < 0.75 else rng.randint(1, 8)
        to = 103 if rng.random() < 0.8 else rng.randint(80, 102)
        if "l" in flags:
            frm = rng.randint(12, 40)
        if "e" in flags:
            to = rng.randint(51, 77)
        if a in ("HQ", "FWD"):
            tour, dwell = 26, 26 * (1 if a == "FWD" else rng.choice([1, 2]))
            frm, to = {"a": (0, 55), "b": (48, 103)}.get(flags[-1:], (frm, to))
        else:
            tour = rng.choice([8, 10, 12, 13, 17] if a in AIRLIKE else [16, 17, 20, 24, 26])
            dwell = round(tour * rng.choice([1, 1.5, 2, 2, 3]))
        notice = 0 if fixed else rng.choice([0, 1, 2, 2, 4, 4, 6, 8, 10, 12])
        o = dict(id=f"{nat}-{i:02d}", nation=nat, capability=CODE[a], units=units, from_week=frm, to_week=to,
                 notice_weeks=notice, tour_weeks=tour, dwell_weeks=dwell)
        if (regs := regions_for(nat, a, flags)) is not None:
            o["regions"] = regs
        o["roe"] = roe_for(nat, a)
        if "u" in flags:
            o["requires"] = ["us_backstop"]
        o["status"] = "deployed" if fixed else None
        o["cost_per_unit_week"] = round(CAPS[a][5] * rng.uniform(0.8, 1.25), 2)
        if nat in NOTES:
            o["notes"] = NOTES[nat]
        elif "u" in flags:
            o["notes"] = "Counts only while a US backstop is assumed."
        offers.append(o)

# Status mix: ~20 % indicated, ~35 % offered, rest confirmed, a few withdrawn; offers that need a
# US backstop tend to be less firm.
free = [o for o in offers if o["status"] is None]
for o in rng.sample(free, 8):
    o["status"] = "withdrawn"
free = sorted((o for o in free if o["status"] is None),
              key=lambda o: rng.random() + (0.35 if "requires" in o else 0))
n_conf, n_off = round(len(offers) * 0.38), round(len(offers) * 0.35)
for k, o in enumerate(free):
    o["status"] = "confirmed" if k < n_conf else "offered" if k < n_conf + n_off else "indicated"

CHAINS = {"indicated": [["indicated"], ["offered", "withdrawn", "indicated"]],
          "offered": [["offered"], ["indicated", "offered"], ["offered", "withdrawn", "offered"]],
          "confirmed": [["confirmed"], ["offered", "confirmed"], ["indicated", "offered", "confirmed"],
                        ["indicated", "confirmed"]],
          "deployed": [["offered", "confirmed", "deployed"], ["confirmed", "deployed"]],
          "withdrawn": [["indicated", "withdrawn"], ["offered", "withdrawn"], ["offered", "confirmed", "withdrawn"]]}
FSC = [(dt.date(2025, 10, 9), "EX-FSC-2"), (dt.date(2025, 4, 17), "EX-FSC-1")]


def make_history(o):
    chain = rng.choice(CHAINS[o["status"]])
    lo, hi = dt.date(2025, 4, 17), dt.date(2025, 12, 19)
    days = sorted(rng.sample(range((hi - lo).days), len(chain)))
    eff = [lo + dt.timedelta(d) for d in days]
    if chain[-1] == "deployed":
        eff[-1] = START
    hist, last = [], None
    for st, e in zip(chain, eff):
        rec = dt.datetime.combine(e, dt.time(rng.randint(7, 17), rng.choice([0, 15, 30, 45])))
        rec += dt.timedelta(days=rng.choice([0, 0, 1, 2, 3, 7, 10]))
        if last and rec <= last:
            rec = last + dt.timedelta(hours=3)
        last = rec
        h = dict(status=st, effective=e.isoformat(), recorded_at=rec.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 recorded_by="j5.forcegen" if rng.random() < 0.6 else "lno." + o["nation"].lower())
        if st == "deployed":
            h["recorded_by"], h["note"] = "lno." + o["nation"].lower(), "In place for activation (week 0)."
        else:
            h["source"] = next(s for d, s in FSC if d <= rec.date())
        if st == "withdrawn":
            h["note"] = rng.choice(["National caveat review.", "Unit re-tasked to national duties.",
                                    "Funding not approved this cycle."])
        hist.append(h)
    return hist


for o in offers:
    if o["status"] in ("withdrawn", "deployed") or rng.random() < 0.28:
        o["history"] = make_history(o)
    srcs = sorted({h["source"] for h in o.get("history", []) if "source" in h}) or ["EX-FSC-2"]
    o["sources"] = srcs
    # key order as in the format doc
    keys = ["id", "nation", "capability", "units", "from_week", "to_week", "notice_weeks", "tour_weeks",
            "dwell_weeks", "regions", "roe", "requires", "status", "cost_per_unit_week", "sources", "notes", "history"]
    o_sorted = {k: o[k] for k in keys if k in o}
    o.clear()
    o.update(o_sorted)
