#!/usr/bin/env python3
"""Prints the comparison table of perf/compare.sh from its results file(s).

A results file holds sections "# ocaml-lwt", "# dotnet-task", "# lwt-dotnet" of WORKLOAD
lines (shared/anchors/WORKLOADS.md format); sections may repeat (rounds): each cell is
the median over the lines found.

goal = min(OCaml Lwt ns/op, 0.5 x min(.NET Task ctx ns/op, .NET Task @threadpool ns/op))
(whichever of those exist), as the core issue states it; for the library workloads (mvar,
stream, stream/bounded1024) the library issue states it against the single-thread context
alone: min(OCaml Lwt ns/op, 0.5 x .NET Task ctx ns/op). ratio = ours / goal; PASS when
ratio <= 1.

A results file it cannot read is an error (exit 2), not an empty table: a file with no
section header (WORKLOAD lines outside a section cannot be attributed to an implementation),
or files with no "# lwt-dotnet" WORKLOAD line at all. A workload whose N is not the same in
every column (or every round) is reported on stderr: its ratio compares different runs.

usage: compare.py [--only "names..."] RESULTS_FILE...
"""
import argparse
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"^WORKLOAD (\S+) n=(\d+) total_ms=(\S+) ns_per_op=(\S+) alloc_bytes_per_op=(\S+) peak_rss_mb=(\S+)\s*$")
SECTIONS = ("ocaml-lwt", "dotnet-task", "lwt-dotnet", "c-epoll")

# The library issue's goal: "half of the .NET Task single-thread context" (not the faster
# of the two .NET variants, which the core issue names).
CTX_ONLY_GOAL = ("mvar", "stream", "stream/bounded1024")

# tcp-echo: LOAD lines (after each WORKLOAD line) per (impl, name), for the latency table
LOADS = defaultdict(list)


def num(s):
    try:
        return float(s)
    except ValueError:
        return None  # "na"


class ResultsError(Exception):
    """A results file compare.py cannot make a table from."""


def parse(paths):
    # cells[(impl, name)] = list of (n, ns, alloc, rss)
    cells = defaultdict(list)
    order = []
    for path in paths:
        impl = None
        last_key = last_name = None
        sections = unattributed = 0
        with open(path, encoding="utf-8") as f:
            for raw in f:
                line = raw.strip()
                if line.startswith("# "):
                    head = line[2:].split()[0] if line[2:].split() else ""
                    if head in SECTIONS:
                        impl = head
                        sections += 1
                    continue
                if line.startswith("LOAD ") and impl is not None and order:
                    LOADS[(last_key, last_name)].append(dict(x.split("=", 1) for x in line.split()[1:]))
                    continue
                m = LINE.match(line)
                if m and impl is None:
                    unattributed += 1
                if not m or impl is None:
                    continue
                name = m.group(1)
                if impl == "dotnet-task":
                    if name.endswith("@threadpool"):
                        impl_key, name = "dotnet-tp", name[: -len("@threadpool")]
                    else:
                        impl_key = "dotnet-ctx"
                else:
                    impl_key = impl
                last_key, last_name = impl_key, name
                cells[(impl_key, name)].append(
                    (int(m.group(2)), num(m.group(4)), num(m.group(5)), num(m.group(6))))
                if name not in order:
                    order.append(name)
        if sections == 0:
            raise ResultsError(
                f"{path}: no section header (# {', # '.join(SECTIONS)}); {unattributed} WORKLOAD line(s) "
                "cannot be attributed to an implementation. Is it a compare.sh results file?")
        if unattributed:
            print(f"compare.py: warning: {path}: {unattributed} WORKLOAD line(s) before the first section "
                  "header, ignored", file=sys.stderr)
    if not any(impl == "lwt-dotnet" for (impl, _) in cells):
        raise ResultsError(f"{', '.join(paths)}: no WORKLOAD line in a '# lwt-dotnet' section: nothing of ours to compare")
    return cells, order


def check_n(cells, names):
    """Warns (stderr) for each workload whose N differs between columns or rounds."""
    for name in names:
        ns = {}
        for impl in ("lwt-dotnet", "ocaml-lwt", "dotnet-ctx", "dotnet-tp"):
            values = sorted({r[0] for r in cells.get((impl, name), [])})
            if values:
                ns[impl] = values
        if len({n for values in ns.values() for n in values}) > 1:
            found = "; ".join(f"{impl} n={'/'.join(f'{n:,}' for n in values)}" for impl, values in ns.items())
            print(f"compare.py: warning: {name}: N differs ({found}); its ratio compares runs of different sizes",
                  file=sys.stderr)


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cell(cells, impl, name):
    rows = cells.get((impl, name))
    if not rows:
        return None
    return (rows[0][0], med([r[1] for r in rows]), med([r[2] for r in rows]), med([r[3] for r in rows]), len(rows))


def fmt(v, digits=None):
    if v is None:
        return "—"
    if digits is None:
        digits = 1 if abs(v) < 1000 else 0
        if abs(v) < 10:
            digits = 2
    return f"{v:,.{digits}f}"


def triple(c):
    if c is None:
        return "—"
    return f"{fmt(c[1])} · {fmt(c[2])} · {fmt(c[3], 1)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="space-separated workload names (default: all found)")
    ap.add_argument("results", nargs="+")
    a = ap.parse_args()
    try:
        cells, order = parse(a.results)
    except ResultsError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 2
    names = a.only.split() if a.only.strip() else order
    check_n(cells, names)

    print("| workload | N | ours ns/op | ours B/op | ours RSS MB | OCaml Lwt<br>ns · B · MB | .NET Task ctx<br>ns · B · MB "
          "| .NET Task @threadpool<br>ns · B · MB | goal ns/op | ours/goal | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    misses = 0
    for name in names:
        ours = cell(cells, "lwt-dotnet", name)
        oc = cell(cells, "ocaml-lwt", name)
        ctx = cell(cells, "dotnet-ctx", name)
        tp = cell(cells, "dotnet-tp", name)
        candidates = []
        if oc and oc[1] is not None:
            candidates.append(oc[1])
        dotnet = (ctx,) if name in CTX_ONLY_GOAL else (ctx, tp)
        dn = [c[1] for c in dotnet if c and c[1] is not None]
        if dn:
            candidates.append(0.5 * min(dn))
        goal = min(candidates) if candidates else None
        n = next((c[0] for c in (ours, oc, ctx, tp) if c), None)
        if ours is None or ours[1] is None:
            ratio, verdict = None, "not run / not implemented"
        elif goal is None:
            ratio, verdict = None, "no anchor"
        else:
            ratio = ours[1] / goal
            verdict = "PASS" if ratio <= 1.0 else "MISS"
            misses += verdict == "MISS"
        print(f"| `{name}` | {n:,} | {fmt(ours[1]) if ours else '—'} | {fmt(ours[2]) if ours else '—'} | "
              f"{fmt(ours[3], 1) if ours else '—'} | {triple(oc)} | {triple(ctx)} | {triple(tp)} | {fmt(goal)} | "
              f"{fmt(ratio, 2) if ratio is not None else '—'} | {verdict} |" if n is not None else
              f"| `{name}` | — | — | — | — | — | — | — | — | — | no data |")
    rounds = max((len(v) for v in cells.values()), default=0)
    echo = [(k, n) for (k, n) in LOADS if n.startswith("tcp-echo")]
    if echo:
        print()
        print("tcp-echo from the load generator's LOAD lines (medians; 100 connections in flight):")
        print()
        print("| server | workload | round trips/s | p50 us | p99 us | vs C epoll throughput |")
        print("|---|---|---:|---:|---:|---:|")
        c_rt = med([float(d["throughput_ops_s"]) for d in LOADS.get(("c-epoll", "tcp-echo"), [])])
        for key, name in sorted(echo):
            rows = LOADS[(key, name)]
            rt = med([float(d["throughput_ops_s"]) for d in rows])
            p50 = med([float(d["p50_us"]) for d in rows])
            p99 = med([float(d["p99_us"]) for d in rows])
            vs = f"{rt / c_rt:.0%}" if c_rt else "—"
            print(f"| {key} | `{name}` | {fmt(rt, 0)} | {fmt(p50)} | {fmt(p99)} | {vs} |")
    print()
    print(f"goal = min(OCaml ns/op, 0.5 x faster .NET Task variant; mvar and stream: 0.5 x .NET Task ctx); cells are medians over up to {rounds} run(s); "
          f"{misses} MISS.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
