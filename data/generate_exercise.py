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
    ("RUS", "Russian Federation", ["CSTO"], "party"),  # listed only because a PUB- statement cites it
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
    "GBR": "INF2u INF2l ARMD3u ARMD1l FTR2 FTR1lu AAR2 MCM2 FFG1 MPA1 FWD2a HQ1 TRG3 UAV3 LOG2 MED1 MON3 EOD2 "
           "HEL1u GBAD1u",
    "FRA": "INF2u INF1l MECH1u ARMD3u FTR2 FTR1lu AAR2 AEW2 FFG1 MCM1 MPA1 HQ1 FWD2b GBAD2u MED1 TRG2 LOG2 MON3 UAV2u",
    "DEU": "MECH2ou GBAD2o GBAD1u FTR1o FTR1ol MCM1o LOG1o MED1o TRG3o HQ1o UAV2o MPA1o",
    "ITA": "FTR1 FTR1lu FFG1 MCM1 GBAD1 TRG2 LOG1 AAR1 AEW1 UAV2 HQ1",
    "ESP": "MECH1u ARMD1u FTR1 FFG1 MCM1 GBAD2 MED1 TRG1 EOD1 MON3 UAV1",
    "NLD": "INF1u FTR1u MCM2 GBAD2u EOD2 TRG2 MON3 FWD1b HEL2 UAV1",
    "BEL": "INF2u MCM1 FTR1 EOD1 MED1 MON2", "LUX": "MON1 TRG1",
    "DNK": "MECH1u FTR1u FFG1 EOD2 TRG2 MON2", "NOR": "MCM1 FFG1 FTR1 GBAD1u MPA1 MED1 TRG2w EOD1",
    "SWE": "MECH1u ARMD1u FTR1 AEW1u TRG2w MON3 MCM1 CBRN1 EOD1", "FIN": "TRG2w EOD2 MON3 CBRN2", "ISL": "MON1",
    "EST": "MON2 TRG1 EOD1", "LVA": "TRG1 MON1 EOD1", "LTU": "INF1ulw TRG1 MON2 EOD1",
    "POL": "LOG2 LOG1l FTR1u GBAD1 MED1 TRG2 MECH2 HQ1 UAV1", "CZE": "CBRN2u MED1 TRG1 MON2 EOD1",
    "ROU": "FTR1u MCM1 FFG1 LOG1 MED1 GBAD1", "BGR": "MCM1 FFG1", "HRV": "TRG1 MED1", "SVN": "MON1 TRG1",
    "PRT": "INF1ul FFG1 MON2 MED1", "IRL": "MON3 MED1 EOD1 TRG1", "GRC": "FFG1 MCM1 LOG1", "CYP": "MED1o MON1",
    "AUT": "MON3 EOD1 MED1 CBRN1", "TUR": "FFG1 MCM2 MECH2u INF2u LOG1 UAV3 AEW1",
    "CAN": "MECH2u ARMD1u TRG3 FTR1u AAR1 FFG1 EOD2 MON3 LOG1", "AUS": "AEW1u TRG2w MON1 INF1ul",
    "NZL": "TRG2w MON1", "JPN": "MED1 LOG1 TRG1",
}
OUTSIDE = {"ITA", "POL", "ROU", "BGR", "HRV", "GRC", "JPN"}  # national positions in this exercise
SELF_DEFENCE_ONLY = {"IRL", "AUT", "CYP", "JPN", "ISL", "NZL", "LUX"}
WEST = ["UA-46", "UA-07", "UA-26", "UA-21", "UA-56", "UA-61", "PL-EAST"]
DEPLOYED = {("GBR", "FWD"), ("POL", "LOG"), ("FRA", "HQ")}  # enabling elements in place at week 0
NOTES = {"ITA": "In line with Italy's public stance (PUB-2025-03-02-ITA-TROOPS): serves outside Ukraine only.",
         "POL": "Exercise assumption: serves from Polish territory only (logistics hub, rear area).",
         "ROU": "Exercise assumption: serves from Romanian territory and at sea only.",
         "JPN": "Exercise assumption: non-combat support outside Ukraine only."}


def regions_for(nat, a, flags):
    if nat in OUTSIDE or "o" in flags:
        if a in SEA - {"MPA"}:
            return ["BLACK-SEA"]
        extra = ["BLACK-SEA"] if a in AIRLIKE else []
        return {"POL": ["PL-EAST"], "ROU": ["RO-EAST", "BLACK-SEA"]}.get(nat, ["PL-EAST", "RO-EAST"] + extra)
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
        DEPLOYED.discard((nat, a))
        frm = 0 if fixed or rng.random() < 0.75 else rng.randint(1, 8)
        to = 103 if rng.random() < 0.8 else rng.randint(80, 102)
        frm = rng.randint(12, 40) if "l" in flags else frm
        to = rng.randint(51, 77) if "e" in flags else to
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
        cost = round(CAPS[a][5] * rng.uniform(0.8, 1.25), 2)  # integral costs written as the export does
        o.update(status="deployed" if fixed else None, cost_per_unit_week=int(cost) if cost == int(cost) else cost,
                 sources=None)
        if nat in NOTES or "u" in flags:
            o["notes"] = NOTES.get(nat, "Counts only while a US backstop is assumed.")
        offers.append(o)

# Status mix: ~20 % indicated, ~35 % offered, rest confirmed, a few withdrawn; offers that need a
# US backstop tend to be less firm.
free = [o for o in offers if o["status"] is None]
for o in rng.sample(free, 8):
    o["status"] = "withdrawn"
free = sorted((o for o in free if o["status"] is None),
              key=lambda o: rng.random() + (0.2 if "requires" in o else 0))
n_conf, n_off = round(len(offers) * 0.38), round(len(offers) * 0.35)
for k, o in enumerate(free):
    o["status"] = "confirmed" if k < n_conf else "offered" if k < n_conf + n_off else "indicated"

RE = {"indicated": ["offered", "withdrawn", "indicated"], "offered": ["offered", "withdrawn", "offered"]}
CHAINS = {"indicated": [["indicated"]] * 3 + [RE["indicated"]],
          "offered": [["offered"]] * 2 + [["indicated", "offered"]] * 3 + [RE["offered"]],
          "confirmed": [["confirmed"], ["offered", "confirmed"], ["indicated", "offered", "confirmed"],
                        ["indicated", "confirmed"]],
          "deployed": [["offered", "confirmed", "deployed"], ["confirmed", "deployed"]],
          "withdrawn": [["indicated", "withdrawn"], ["offered", "withdrawn"], ["offered", "confirmed", "withdrawn"]]}
FSC = [(dt.date(2025, 10, 9), "EX-FSC-2"), (dt.date(2025, 4, 17), "EX-FSC-1")]


def make_history(o):
    chain = rng.choice(CHAINS[o["status"]])
    lo, hi = dt.date(2025, 4, 17), dt.date(2025, 12, 19)
    days = [0, 0]
    while any(y - x < 14 for x, y in zip(days, days[1:])):  # at least two weeks between changes
        days = sorted(rng.sample(range((hi - lo).days), len(chain)))
    eff = [lo + dt.timedelta(d) for d in days]
    if chain[-1] == "deployed":
        eff[-1] = START
    hist, last = [], None
    for st, e in zip(chain, eff):
        rec = dt.datetime.combine(e, dt.time(rng.randint(7, 17), rng.choice([0, 15, 30, 45])))
        rec += dt.timedelta(days=rng.choice([0, 0, 1, 2, 3, 7, 10]))
        last = rec = max(rec, last + dt.timedelta(hours=3)) if last else rec
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
    o["sources"] = sorted({h["source"] for h in o.get("history", []) if "source" in h}) or ["EX-FSC-2"]

# ---------------------------------------------------------------- requirements (notional)
BUILD_UP = "b"  # monitoring: half strength in weeks 0-11
REQS = [  # id, line, alias, region, units, from, to, roe, priority, max_nations, profile, name
    ("AP-PL-FTR", "air_policing", "FTR", "PL-EAST", 2, 0, 103, "robust", 8, None, None, "Air policing from eastern Poland"),
    ("AP-RO-FTR", "air_policing", "FTR", "RO-EAST", 2, 0, 103, "robust", 8, None, None, "Air policing from eastern Romania"),
    ("AP-UA-FTR", "air_policing", "FTR", "UA-46", 1, 8, 103, "robust", 9, 3, None, "Forward fighter detachment, western Ukraine"),
    ("AP-PL-AAR", "air_policing", "AAR", "PL-EAST", 1, 0, 103, "mandate", 6, None, None, "Tanker support to air policing (north)"),
    ("AP-RO-AAR", "air_policing", "AAR", "RO-EAST", 1, 0, 103, "mandate", 5, None, None, "Tanker support to air policing (south)"),
    ("AP-PL-AEW", "air_policing", "AEW", "PL-EAST", 1, 0, 103, "mandate", 7, None, None, "Airborne early warning orbit (north)"),
    ("AP-RO-AEW", "air_policing", "AEW", "RO-EAST", 1, 26, 103, "mandate", 6, None, None, "Airborne early warning orbit (south)"),
    ("AP-GBAD-KYIV", "air_policing", "GBAD", "UA-30", 2, 0, 103, "robust", 10, None, None, "Air defence of Kyiv"),
    ("AP-GBAD-ODESA", "air_policing", "GBAD", "UA-51", 2, 0, 103, "robust", 9, None, None, "Air defence of Odesa port"),
    ("AP-GBAD-LVIV", "air_policing", "GBAD", "UA-46", 1, 0, 103, "robust", 8, None, None, "Air defence of Lviv"),
    ("AP-GBAD-PL", "air_policing", "GBAD", "PL-EAST", 1, 0, 103, "robust", 7, None, None, "Air defence of the logistics hub"),
    ("MAR-MCM-BS", "maritime", "MCM", "BLACK-SEA", 3, 0, 103, "mandate", 9, None, [(0, 25, 5)], "Black Sea route clearance (surge first half-year)"),
    ("MAR-MCM-ODESA", "maritime", "MCM", "UA-51", 2, 0, 103, "mandate", 9, None, None, "Odesa port approaches"),
    ("MAR-FFG-BS", "maritime", "FFG", "BLACK-SEA", 2, 0, 103, "robust", 8, 4, None, "Escort of shipping and MCM group"),
    ("MAR-FFG-ODESA", "maritime", "FFG", "UA-51", 1, 0, 103, "robust", 7, None, None, "Escort in the Odesa corridor"),
    ("MAR-MPA-BS", "maritime", "MPA", "BLACK-SEA", 1, 0, 103, "mandate", 6, None, None, "Maritime patrol over the Black Sea"),
    ("LND-KYIV-INF", "land", "INF", "UA-30", 2, 0, 103, "mandate", 7, 3, None, "Reassurance force, Kyiv"),
    ("LND-KYIV-MECH", "land", "MECH", "UA-32", 1, 0, 103, "robust", 7, None, None, "Reassurance force, Kyiv region"),
    ("LND-KYIV-ARMD", "land", "ARMD", "UA-32", 1, 0, 103, "robust", 6, None, None, "Armoured reserve, Kyiv region"),
    ("LND-LVIV-INF", "land", "INF", "UA-46", 1, 0, 103, "mandate", 5, None, None, "Reassurance force, Lviv"),
    ("LND-ODESA-INF", "land", "INF", "UA-51", 1, 0, 103, "mandate", 7, None, None, "Reassurance force, Odesa"),
    ("LND-ODESA-MECH", "land", "MECH", "UA-51", 1, 4, 103, "robust", 8, None, None, "Mechanised element, Odesa"),
    ("LND-DNIPRO-MECH", "land", "MECH", "UA-12", 1, 4, 103, "robust", 8, 2, None, "Mechanised element, Dnipro"),
    ("LND-DNIPRO-ARMD", "land", "ARMD", "UA-12", 2, 4, 103, "robust", 8, None, [(4, 11, 1)], "Armoured element, Dnipro (build-up)"),
    ("LND-PL-RES", "land", "MECH", "PL-EAST", 1, 0, 103, "mandate", 5, None, None, "Theatre reserve staged in Poland"),
    ("LND-RO-RES", "land", "INF", "RO-EAST", 1, 0, 103, "mandate", 4, None, None, "Theatre reserve staged in Romania"),
    ("LND-KYIV-CBRN", "land", "CBRN", "UA-30", 1, 0, 103, "mandate", 6, None, None, "CBRN defence, Kyiv"),
    ("LND-HEL", "land", "HEL", "UA-32", 1, 0, 103, "mandate", 6, None, None, "Utility lift and casualty evacuation"),
    ("TRG-LVIV", "training", "TRG", "UA-46", 4, 0, 103, "self_defence", 6, None, None, "Regeneration of Ukrainian brigades, Lviv"),
    ("TRG-VOLYN", "training", "TRG", "UA-07", 2, 0, 103, "self_defence", 5, None, None, "Collective training, Volyn"),
    ("TRG-KYIV", "training", "TRG", "UA-32", 2, 12, 103, "self_defence", 5, None, None, "Staff and instructor training, Kyiv region"),
    ("TRG-PL", "training", "TRG", "PL-EAST", 3, 0, 103, "self_defence", 6, None, None, "Basic and specialist training in Poland"),
    ("TRG-RO", "training", "TRG", "RO-EAST", 2, 0, 103, "self_defence", 4, None, None, "Specialist training in Romania"),
    ("CMD-HQ-CORPS", "command", "HQ", "PL-EAST", 1, 0, 103, "mandate", 10, None, None, "Multinational three-star headquarters"),
    ("CMD-FWD-Y1", "command", "FWD", "UA-30", 1, 0, 51, "mandate", 10, 1, None, "Forward headquarters Kyiv, first lead nation"),
    ("CMD-FWD-Y2", "command", "FWD", "UA-30", 1, 52, 103, "mandate", 10, 1, None, "Forward headquarters Kyiv, second lead nation"),
    ("ISR-UAV-EAST", "isr", "UAV", "UA-12", 2, 0, 103, "mandate", 7, 2, None, "Persistent surveillance, eastern sector"),
    ("ISR-UAV-SOUTH", "isr", "UAV", "UA-23", 1, 0, 103, "mandate", 7, None, None, "Persistent surveillance, southern sector"),
    ("ISR-UAV-BS", "isr", "UAV", "BLACK-SEA", 1, 0, 103, "mandate", 6, None, None, "Maritime surveillance, Black Sea"),
    ("ISR-MON-ZAP", "isr", "MON", "UA-23", 4, 0, 103, "self_defence", 8, None, BUILD_UP, "Ceasefire monitoring, Zaporizhzhia"),
    ("ISR-MON-DNI", "isr", "MON", "UA-12", 3, 0, 103, "self_defence", 7, None, BUILD_UP, "Ceasefire monitoring, Dnipropetrovsk"),
    ("ISR-MON-KHA", "isr", "MON", "UA-63", 4, 0, 103, "self_defence", 8, None, BUILD_UP, "Ceasefire monitoring, Kharkiv"),
    ("ISR-MON-DON", "isr", "MON", "UA-14", 4, 0, 103, "self_defence", 8, None, BUILD_UP, "Ceasefire monitoring, Donetsk"),
    ("ISR-MON-KHE", "isr", "MON", "UA-65", 3, 0, 103, "self_defence", 7, None, BUILD_UP, "Ceasefire monitoring, Kherson"),
    ("LOG-PL-HUB", "logistics", "LOG", "PL-EAST", 2, 0, 103, "self_defence", 9, None, None, "Reception and onward movement hub, Poland"),
    ("LOG-RO-HUB", "logistics", "LOG", "RO-EAST", 1, 0, 103, "self_defence", 7, None, None, "Southern supply hub, Romania"),
    ("LOG-KYIV", "logistics", "LOG", "UA-32", 1, 0, 103, "mandate", 7, None, None, "Forward logistics, Kyiv region"),
    ("LOG-ODESA", "logistics", "LOG", "UA-51", 1, 4, 103, "mandate", 6, None, None, "Forward logistics, Odesa"),
    ("MED-KYIV", "medical", "MED", "UA-30", 2, 0, 103, "self_defence", 8, None, None, "Role 2 cover, Kyiv"),
    ("MED-DNIPRO", "medical", "MED", "UA-12", 1, 4, 103, "self_defence", 8, None, None, "Role 2 cover, Dnipro"),
    ("MED-ODESA", "medical", "MED", "UA-51", 1, 0, 103, "self_defence", 7, None, None, "Role 2 cover, Odesa"),
    ("MED-PL", "medical", "MED", "PL-EAST", 1, 0, 103, "self_defence", 5, None, None, "Role 2 cover, logistics hub"),
    ("ENG-EOD-KYIV", "engineering", "EOD", "UA-32", 2, 0, 103, "self_defence", 6, None, None, "Demining, Kyiv region"),
    ("ENG-EOD-KHARKIV", "engineering", "EOD", "UA-63", 2, 0, 103, "self_defence", 7, None, None, "Demining, Kharkiv region"),
    ("ENG-EOD-CHERNIHIV", "engineering", "EOD", "UA-74", 1, 0, 103, "self_defence", 5, None, None, "Demining, Chernihiv region"),
    ("ENG-EOD-MYKOLAIV", "engineering", "EOD", "UA-48", 1, 0, 103, "self_defence", 6, None, None, "Demining, Mykolaiv region"),
    ("ENG-EOD-KHERSON", "engineering", "EOD", "UA-65", 2, 12, 103, "self_defence", 6, None, None, "Demining, Kherson region"),
    ("ENG-EOD-ODESA", "engineering", "EOD", "UA-51", 1, 0, 103, "self_defence", 8, None, None, "Port and rail clearance, Odesa"),
]
requirements = []
for rid, line, a, reg, units, frm, to, roe, prio, maxn, prof, name in REQS:
    r = dict(id=rid, name=name, line=line, capability=CODE[a], region=reg, units=units, from_week=frm,
             to_week=to, roe=roe, priority=prio)
    if maxn:
        r["max_nations"] = maxn
    if prof == BUILD_UP:
        prof = [(frm, frm + 11, (units + 1) // 2)]
    if prof:
        r["profile"] = [dict(from_week=f, to_week=t, units=u) for f, t, u in prof]
    requirements.append(r)

# ---------------------------------------------------------------- commitments
W1, W2 = ["WIRE-2025-03-02"], ["WIRE-2025-03-18"]


def c(id, kind, nation, title, status, date, **kw):
    order = ["end_date", "recipient", "target", "instrument", "amount", "items", "topic", "stance", "format",
             "participants", "summary", "sources"]
    return dict(id=id, kind=kind, nation=nation, title=title, status=status, date=date,
                **{k: kw[k] for k in order if k in kw})


commitments = [
    c("PUB-2025-03-02-LONDON-MEETING", "meeting", "GBR", "Leaders' meeting in London on securing a Ukraine truce",
      "held", "2025-03-02", format="in_person", participants=["GBR"], sources=W1,
      summary="UK-hosted talks in central London attended by over twelve leaders. The report names no other "
              "attendees, so only the host is listed; the UK leader said several unnamed countries had signalled "
              "they wanted to join the plan."),
    c("PUB-2025-03-02-GBR-EXPORT-FINANCE", "finance", "GBR", "UK export finance for Ukraine to buy air-defence missiles",
      "announced", "2025-03-02", recipient="UKR", instrument="export_finance",
      amount={"value": "1600000000", "currency": "GBP", "qualifier": "up_to"},
      items=[{"name": "air-defence missiles", "quantity": {"value": 5000, "qualifier": "more_than"}}], sources=W1,
      summary="Announced after the London meeting: Ukraine may draw on £1.6bn of UK export finance (about $2bn "
              "in the report) to acquire over 5,000 air-defence missiles."),
    c("PUB-2025-03-02-GBR-TROOPS", "statement", "GBR", "UK ready to send troops to Ukraine once a peace deal is signed",
      "stated", "2025-03-02", topic="troops_in_ukraine", stance="conditional", sources=W1,
      summary="The UK has said it is prepared to deploy British forces to help keep the peace, on condition that an "
              "agreement ending the war is signed; the UK and France lead the effort to form the coalition."),
    c("PUB-2025-03-02-FRA-TROOPS", "statement", "FRA", "France ready to send troops to Ukraine once a peace deal is signed",
      "stated", "2025-03-02", topic="troops_in_ukraine", stance="conditional", sources=W1,
      summary="As reported, France's president, like the UK prime minister, is prepared to deploy French forces to "
              "help preserve a peace once an agreement is signed."),
    c("PUB-2025-03-02-GBR-US-BACKING", "statement", "GBR", "UK: the European-led effort needs strong US backing",
      "stated", "2025-03-02", target="USA", topic="us_backstop", stance="willing", sources=W1,
      summary="The UK wants a US backstop: Europe should carry most of the load, but the effort needs firm US support "
              "to deter Russia from breaking a truce. The US had not committed to security guarantees at the time."),
    c("PUB-2025-03-02-ITA-TROOPS", "statement", "ITA", "Italy: Italian troops in Ukraine not under consideration",
      "stated", "2025-03-02", topic="troops_in_ukraine", stance="unwilling", sources=W1,
      summary="Italy's prime minister played down a peacekeeping role, saying sending Italian soldiers to Ukraine had "
              "not been on the table, and judged the approach complex and possibly less effective than others."),
    c("PUB-2025-03-15-VIRTUAL-MEETING", "meeting", "GBR", "Virtual leaders' meeting of the coalition of the willing",
      "held", "2025-03-15", format="virtual", participants=["GBR", "DEU", "FRA", "ITA", "CAN", "AUS", "UKR", "NATO"],
      sources=W2, summary="Video call hosted by the UK prime minister with about two dozen leaders to rally backing "
      "for the coalition. Those named in the report are listed; the US did not take part."),
    c("PUB-2025-03-15-RUS-ECONOMIC-PRESSURE", "sanction", "GBR", "Keep tightening economic restrictions on Russia",
      "proposed", "2025-03-15", target="RUS", sources=W2,
      summary="After the virtual meeting the UK leader said participants had agreed to raise pressure on Russia, "
              "including further limits on its economy; no specific measures were named."),
    c("PUB-2025-03-15-GBR-MILITARY-AID", "statement", "GBR", "Coalition to keep military aid to Ukraine flowing",
      "stated", "2025-03-15", topic="military_aid_to_ukraine", stance="willing", sources=W2,
      summary="Announced by the UK host on behalf of the virtual meeting's participants; no amounts were given."),
    c("PUB-2025-03-17-GBR-COALITION-SIZE", "statement", "GBR", "UK expects more than 30 countries in the coalition",
      "stated", "2025-03-17", sources=W2,
      summary="The prime minister's spokesperson said over 30 countries were expected to join, that contributions "
              "would differ, and that a significant number would provide troops if there is a peace deal."),
    c("PUB-2025-03-18-RUS-NATO-TROOPS", "statement", "RUS", "Russia rejects troops from NATO countries in Ukraine",
      "stated", "2025-03-18", topic="nato_troops_in_ukraine", stance="unwilling", sources=W2,
      summary="Moscow has repeatedly opposed stationing soldiers from NATO member states in Ukraine and has said it "
              "would not accept European peacekeepers; dated by the report, not by a single statement."),
    c("PUB-2025-03-18-FRA-US-GUARANTEES", "statement", "FRA", "France presses the US for security guarantees",
      "stated", "2025-03-18", target="USA", topic="us_backstop", stance="willing", sources=W2,
      summary="France, like the UK, was still pushing Washington for guarantees to deter future Russian attacks."),
    c("PUB-2025-03-20-PLANNERS-MEETING", "meeting", "GBR", "Coalition military planners meet in the UK",
      "planned", "2025-03-20", format="in_person", sources=W2,
      summary="Military planners were due to meet in Britain to work out how a ceasefire might be secured. Recorded "
              "as planned because the source predates the meeting; participants were not named."),
    c("EX-GUAR-USA-BACKSTOP", "guarantee", "USA", "Notional US backstop to the force (exercise assumption only)",
      "indicated", "2025-10-09", recipient="UKR", sources=["EX-FSC-2"],
      summary="Exercise construct that stands for the planning assumption us_backstop. It does not describe any "
              "real US commitment."),
    c("EX-AID-NLD-WINTER", "aid", "NLD", "Notional winter equipment package for Ukrainian units (exercise)",
      "committed", "2025-10-09", recipient="UKR", instrument="in_kind",
      amount={"value": "120000000", "currency": "EUR", "qualifier": "range", "low": "90000000", "high": "150000000"},
      items=[{"name": "generator sets", "quantity": {"value": 400, "qualifier": "about"}, "delivered": 0}],
      sources=["EX-FSC-2"], summary="Invented exercise data to exercise the aid ledger; not a real pledge."),
    c("EX-FIN-CAN-DEMINING", "finance", "CAN", "Notional demining equipment fund (exercise)", "allocated",
      "2025-10-09", recipient="UKR", instrument="grant", amount={"value": "75000000", "currency": "CAD"},
      sources=["EX-FSC-2"], summary="Invented exercise data to exercise the finance ledger; not a real pledge."),
    c("EX-MEET-FSC-2", "meeting", "GBR", "Exercise force-sourcing conference 2", "held", "2025-10-07",
      end_date="2025-10-09", format="hybrid", participants=["GBR", "FRA", "DEU", "ITA", "POL", "ROU", "TUR", "CAN", "UKR"],
      sources=["EX-FSC-2"], summary="Notional conference at which nations refined their exercise offers."),
]

# ---------------------------------------------------------------- assemble
# ---------------------------------------------------------------- releasability
# Public reporting and its sources are public; offers still only indicated are restricted to the
# offering nation (and coalition HQ); everything else is releasable to the coalition (the default).
for src in SOURCES:
    if src["id"].startswith("WIRE-"):
        src["releasability"] = "public"
for cm in commitments:
    if cm["id"].startswith("PUB-"):
        cm["releasability"] = "public"
for k, o in enumerate(offers):
    if o["status"] == "indicated":
        hist = o.pop("history", None)
        o["releasability"] = "nation"
        if hist is not None:
            o["history"] = hist

scenario = {
    "format": "coalition.scenario/1",
    "name": "Exercise STEADFAST TRUCE — notional multinational force guaranteeing a ceasefire in Ukraine",
    "description": "Exercise scenario. All force numbers, offers, requirements and costs are notional exercise data "
                   "and do not describe any nation's real commitments or positions. Commitments whose ids start with "
                   "PUB- record public reporting from March 2025 and cite their sources; EX- commitments are invented.",
    "exercise": True, "start": START.isoformat(), "weeks": WEEKS, "assumptions": ASSUMPTIONS,
    "nations": [dict(code=n[0], name=n[1], **({"memberships": n[2]} if n[2] else {}),
                     **({"role": n[3]} if len(n) > 3 else {})) for n in NATIONS],
    "capabilities": [dict(code=v[0], name=v[1], domain=v[2], personnel=v[3], sidc=v[4]) for v in CAPS.values()],
    "sources": SOURCES, "offers": offers, "requirements": requirements, "commitments": commitments,
}

# ---------------------------------------------------------------- self-check and report
def check(s):
    def uniq(xs, what):
        assert len(xs) == len(set(xs)), f"duplicate {what}"
        return set(xs)
    nat, cap = uniq([n["code"] for n in s["nations"]], "nation"), uniq([x["code"] for x in s["capabilities"]], "cap")
    src = uniq([x["id"] for x in s["sources"]], "source")
    keys = {"nations": "code name memberships role", "capabilities": "code name domain personnel sidc",
            "sources": "id title publisher published url reference grading releasability",
            "offers": "id nation capability units from_week to_week notice_weeks tour_weeks dwell_weeks regions roe "
                      "requires status cost_per_unit_week sources notes releasability history",
            "requirements": "id name line capability region units from_week to_week roe priority max_nations profile",
            "commitments": "id kind nation title status date end_date recipient target instrument amount items "
                           "topic stance format participants summary sources releasability"}
    for sec, allowed_keys in keys.items():  # known keys only, in the documented order, nothing empty
        order = allowed_keys.split()
        for x in s[sec]:
            assert list(x) == sorted(x, key=order.index) and all(v not in (None, [], "") for v in x.values()), x
    uniq([o["id"] for o in s["offers"]], "offer"), uniq([r["id"] for r in s["requirements"]], "req")
    uniq([x["id"] for x in s["commitments"]], "commitment")
    region, date_re = re.compile(r"^(UA-\d\d|[A-Z]{2,}(-[A-Z0-9]+)+)$"), re.compile(r"^\d{4}-\d\d-\d\d$")
    move = {"indicated": 1, "offered": 2, "confirmed": 3, "deployed": 4}
    for o in s["offers"]:
        assert o["nation"] in nat - {"UKR", "USA", "RUS"} and o["capability"] in cap and set(o["sources"]) <= src
        assert 0 <= o["from_week"] <= o["to_week"] < s["weeks"] and 1 <= o["units"] <= 4
        assert all(region.match(r) for r in o.get("regions", [])) and round(o["cost_per_unit_week"], 2) == o["cost_per_unit_week"]
        assert o["tour_weeks"] <= o["dwell_weeks"] <= 3 * o["tour_weeks"] and o["notice_weeks"] <= 12
        h = o.get("history", [])
        for a, b in zip(h, h[1:]):
            assert a["recorded_at"] < b["recorded_at"] and a["effective"] < b["effective"], o["id"]
            x, y = a["status"], b["status"]
            assert (y in ("indicated", "offered")) if x == "withdrawn" else (y == "withdrawn" or move[y] > move[x]), o["id"]
        for e in h:
            assert e["effective"] <= e["recorded_at"][:10] and e["recorded_at"][:4] in ("2025", "2026")
            assert e.get("source", "EX-FSC-1") in src and e["recorded_at"].endswith("Z")
        assert not h or h[-1]["status"] == o["status"]
        assert set(o.get("requires", [])) <= set(s["assumptions"]) and o["roe"] in ("self_defence", "mandate", "robust")
    for r in s["requirements"]:
        assert r["capability"] in cap and region.match(r["region"]) and 0 <= r["from_week"] <= r["to_week"] < s["weeks"]
        p = sorted((x["from_week"], x["to_week"]) for x in r.get("profile", []))
        assert all(r["from_week"] <= f <= t <= r["to_week"] for f, t in p)
        assert all(a[1] < b[0] for a, b in zip(p, p[1:]))
    allowed = {"aid": {"announced", "committed", "allocated", "delivered", "cancelled"},
               "sanction": {"proposed", "adopted", "in_force", "lifted"},
               "guarantee": {"indicated", "offered", "confirmed", "withdrawn"},
               "statement": {"stated", "retracted"}, "meeting": {"planned", "held", "cancelled"}}
    allowed["finance"] = allowed["aid"]
    for x in s["commitments"]:
        assert x["status"] in allowed[x["kind"]] and x["nation"] in nat and date_re.match(x["date"]), x["id"]
        assert x.get("recipient", "UKR") in nat and set(x["sources"]) <= src and ("topic" in x) == ("stance" in x)
        assert all(p in nat | {"NATO", "EU"} for p in x.get("participants", []))
        assert re.fullmatch(r"(0|[1-9]\d*)(\.\d+)?", x.get("amount", {}).get("value", "0"))
        if x["id"].startswith("PUB-"):
            assert all(i.startswith("WIRE-") for i in x["sources"])


def unit_weeks(o):  # greedy rotation of one unit inside its window, times units
    t, total = max(o["from_week"], o["notice_weeks"]), 0
    while t <= o["to_week"]:
        total += min(o["tour_weeks"], o["to_week"] - t + 1)
        t += o["tour_weeks"] + o["dwell_weeks"]
    return total * o["units"]


def report(s):
    from collections import Counter
    print(f"nations {len(s['nations'])}, capabilities {len(s['capabilities'])}, offers {len(s['offers'])}, "
          f"requirements {len(s['requirements'])}, commitments {len(s['commitments'])}, sources {len(s['sources'])}")
    print("offers by status:", dict(Counter(o["status"] for o in s["offers"])))
    print("offers needing us_backstop:", sum("requires" in o for o in s["offers"]),
          "with history:", sum("history" in o for o in s["offers"]),
          "contributing nations:", len({o["nation"] for o in s["offers"]}))
    print("requirements by line:", dict(Counter(r["line"] for r in s["requirements"])))
    print("commitments by kind:", dict(Counter(x["kind"] for x in s["commitments"])))
    print(f"{'capability':14} {'demand':>7} {'supply':>7} {'d/s':>5} {'no-US':>6} {'firm':>6}  (unit-weeks)")
    for cp in s["capabilities"]:
        code = cp["code"]
        dem = sum(sum(next((p["units"] for p in r.get("profile", []) if p["from_week"] <= w <= p["to_week"]), r["units"])
                      for w in range(r["from_week"], r["to_week"] + 1)) for r in s["requirements"] if r["capability"] == code)
        live = [o for o in s["offers"] if o["capability"] == code and o["status"] != "withdrawn"]
        sup = sum(unit_weeks(o) for o in live)
        nous = sum(unit_weeks(o) for o in live if "requires" not in o)
        firm = sum(unit_weeks(o) for o in live if o["status"] in ("confirmed", "deployed"))
        print(f"{code:14} {dem:7} {sup:7} {dem / sup if sup else 0:5.2f} {nous:6} {firm:6}")


check(scenario)
OUT.write_text(json.dumps(scenario, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
report(scenario)
