#!/usr/bin/env bash
# Runs OCaml Lwt (shared/anchors/ocaml-lwt/run.sh), the plain .NET Task baseline
# (shared/anchors/dotnet-task/run.sh) and our runner (Lwt.Perf workloads) on the same
# workload list, collects every WORKLOAD line into one results file (sections
# "# ocaml-lwt", "# dotnet-task", "# lwt-dotnet"), then prints the comparison table
# (compare.py): goal = min(OCaml ns/op, 0.5 x the faster .NET Task variant); for mvar and
# stream, as the library issue states it, 0.5 x the .NET Task 1-thread context.
#
#   ONLY     space-separated workload names (default: every workload Lwt.Perf implements)
#   ROUNDS   interleaved rounds (default 1); the table uses the median per cell
#   RESULTS  results file (default perf/results/compare-<UTC time>.txt)
#   SHARED   the shared/ directory (default: <repo>/../shared, else /work/shared)
#   SKIP     implementations to skip, e.g. SKIP="ocaml-lwt" (re-use is up to you)
# tcp-echo / tcp-echo/lwt_io run through shared/anchors/echo-load/drive.sh (our side:
# `Lwt.Perf workload tcp-echo` calls drive.sh with `Lwt.Perf tcp-echo-server`), and add a
# "c-epoll" section (echo-load/run.sh); compare.py then prints a LOAD table (round trips/s, p50, p99).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/.." && pwd))"
if [ -z "${SHARED:-}" ]; then
  if [ -d "$ROOT/../shared/anchors" ]; then SHARED="$(cd "$ROOT/../shared" && pwd)"; else SHARED=/work/shared; fi
fi
ANCHORS="$SHARED/anchors"
[ -x "$ANCHORS/ocaml-lwt/run.sh" ] || { echo "compare.sh: no anchors under $ANCHORS (set SHARED=...)" >&2; exit 2; }

# same environment as the anchors: nothing may change GC/JIT defaults
unset DOTNET_gcServer DOTNET_TieredPGO DOTNET_TieredCompilation DOTNET_TC_QuickJitForLoops DOTNET_ReadyToRun || true
# and nothing may change our runner's method: LWT_PERF_DRIVER=noloop measures without the
# event loop (its lines are named <name>/noloop, so they would match nothing in the table);
# LWT_PERF_CPU=1 adds CPU lines on stderr. Both are for A/B work by hand, never for this table.
unset LWT_PERF_DRIVER LWT_PERF_CPU || true

echo "building perf/Lwt.Perf (Release)..." >&2
dotnet build "$HERE/Lwt.Perf/Lwt.Perf.csproj" -c Release -nologo -v q >&2
OURS="$HERE/Lwt.Perf/bin/Release/net10.0/Lwt.Perf"
[ -x "$OURS" ] || { echo "compare.sh: $OURS not found after the build" >&2; exit 2; }

WORKLOADS="${ONLY:-$("$OURS" list | tr '\n' ' ')}"
ROUNDS="${ROUNDS:-1}"
SKIP="${SKIP:-}"
mkdir -p "$HERE/results"
RESULTS="${RESULTS:-$HERE/results/compare-$(date -u +%Y%m%dT%H%M%SZ).txt}"
{
  echo "# compare.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) rounds=$ROUNDS workloads: $WORKLOADS"
  # --dirty: a run of a tree with local edits is recorded as such (<hash>-dirty), not as HEAD
  echo "# commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown), dotnet $(dotnet --version), $(nproc) CPUs"
} > "$RESULTS"

# run_impl <section> <command...>: appends "# <section>" and the command's WORKLOAD
# lines (stdout) to the results file; a failure is reported, not fatal.
run_impl() {
  local section="$1"; shift
  case " $SKIP " in *" $section "*) echo "== $section: skipped" >&2; return 0;; esac
  echo "== $section: $WORKLOADS" >&2
  echo "# $section" >> "$RESULTS"
  if "$@" | tee -a "$RESULTS"; then :; else
    echo "compare.sh: $section exited with an error (rc=${PIPESTATUS[0]}); continuing" >&2
  fi
}

# The .NET Task baseline has no Lwt_io, and its runner stops at the first name it does not
# know: give it the list without the lwt_io variants.
DOTNET_WORKLOADS="$(for w in $WORKLOADS; do case "$w" in *lwt_io*) ;; *) printf '%s ' "$w";; esac; done)"

for ((round = 1; round <= ROUNDS; round++)); do
  echo "== round $round of $ROUNDS" >&2
  run_impl ocaml-lwt env ONLY="$WORKLOADS" "$ANCHORS/ocaml-lwt/run.sh"
  run_impl dotnet-task env ONLY="$DOTNET_WORKLOADS" "$ANCHORS/dotnet-task/run.sh"
  # shellcheck disable=SC2086  # word splitting of the workload list is intended
  run_impl lwt-dotnet "$OURS" workloads $WORKLOADS
  # tcp-echo's physical limit: the C epoll echo server under the same load generator
  case " $WORKLOADS " in *" tcp-echo "*|*" tcp-echo/"*) run_impl c-epoll "$ANCHORS/echo-load/run.sh";; esac
done

echo "results: $RESULTS" >&2
python3 "$HERE/compare.py" --only "$WORKLOADS" "$RESULTS"
