#!/usr/bin/env python3
"""Compares two `tally run --format json` documents of the same config run on
two engines: counts exactly, money to the cent, everything else (ratios,
days) to 1e-9. Text and structure must be identical; the data source and the
generation time are left out. Prints every difference; exit 1 when any.

Usage: compare_reports.py SQLITE.json POSTGRES.json LABEL [--same-errors-agree]
With --same-errors-agree, a metric that fails on both engines with the same
message agrees (a report filter some dataset cannot take fails it alike).
"""
import json
import sys

SKIPPED_PROVENANCE = {"data_source", "generated_at"}
TOLERANCE = {"count": 0.0, "money": 0.005}
DEFAULT_TOLERANCE = 1e-9


def close(a, b, unit):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    tolerance = TOLERANCE.get(unit, DEFAULT_TOLERANCE)
    if unit == "count":
        return a == b
    return abs(a - b) <= tolerance * (1 if unit == "money" else max(1.0, abs(a)))


def compare(a, b, path, unit, problems):
    if isinstance(a, dict) and isinstance(b, dict):
        if path.endswith("provenance"):
            a = {k: v for k, v in a.items() if k not in SKIPPED_PROVENANCE}
            b = {k: v for k, v in b.items() if k not in SKIPPED_PROVENANCE}
        if set(a) != set(b):
            problems.append(f"{path}: keys {sorted(set(a) ^ set(b))} in one only")
            return
        unit_here = a.get("unit", unit) if isinstance(a.get("unit"), str) else unit
        for key in a:
            compare(a[key], b[key], f"{path}.{key}", unit_here, problems)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{path}: {len(a)} items against {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", unit, problems)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not close(a, b, unit):
            problems.append(f"{path} ({unit or 'number'}): {a!r} against {b!r}")
    elif a != b:
        problems.append(f"{path}: {a!r} against {b!r}")


def compare_tables(a, b, path, problems):
    """Table cells take the unit of their column."""
    for t_index, (ta, tb) in enumerate(zip(a.get("tables", []), b.get("tables", []))):
        units = [c.get("type") for c in ta.get("columns", [])]
        for r, (ra, rb) in enumerate(zip(ta.get("rows", []), tb.get("rows", []))):
            for c, (x, y) in enumerate(zip(ra, rb)):
                unit = units[c] if c < len(units) else None
                compare(x, y, f"{path}.tables[{t_index}].rows[{r}][{c}]", unit, problems)


def main():
    with open(sys.argv[1]) as f:
        sqlite = json.load(f)
    with open(sys.argv[2]) as f:
        postgres = json.load(f)
    label = sys.argv[3] if len(sys.argv) > 3 else "report"
    same_errors_agree = "--same-errors-agree" in sys.argv[4:]
    problems = []
    metrics_a = sqlite.pop("metrics", [])
    metrics_b = postgres.pop("metrics", [])
    compare(sqlite, postgres, label, None, problems)
    if len(metrics_a) != len(metrics_b):
        problems.append(f"{label}: {len(metrics_a)} metrics against {len(metrics_b)}")
    for ma, mb in zip(metrics_a, metrics_b):
        path = f"{label}:{ma.get('name')}"
        if (same_errors_agree and ma.get("status") == mb.get("status") == "error" and
                ma.get("error") == mb.get("error")):
            continue
        if ma.get("status") != "ok" or mb.get("status") != "ok":
            problems.append(f"{path}: status {ma.get('status')} ({ma.get('error', '')}) against "
                            f"{mb.get('status')} ({mb.get('error', '')})")
            continue
        tables_a, tables_b = ma.pop("tables", []), mb.pop("tables", [])
        compare(ma, mb, path, None, problems)
        if len(tables_a) != len(tables_b):
            problems.append(f"{path}: {len(tables_a)} tables against {len(tables_b)}")
        for ta, tb in zip(tables_a, tables_b):
            rows_a, rows_b = ta.pop("rows", []), tb.pop("rows", [])
            compare(ta, tb, f"{path}.{ta.get('name')}", None, problems)
            if len(rows_a) != len(rows_b):
                problems.append(f"{path}.{ta.get('name')}: {len(rows_a)} rows against {len(rows_b)}")
            compare_tables({"tables": [dict(ta, rows=rows_a)]}, {"tables": [dict(tb, rows=rows_b)]},
                           f"{path}.{ta.get('name')}", problems)
    for p in problems[:60]:
        print(p)
    if len(problems) > 60:
        print(f"... and {len(problems) - 60} more")
    print(f"{label}: {len(metrics_a)} metrics compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
