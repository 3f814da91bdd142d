#!/bin/bash
# Interleaved rounds: OCaml Lwt, .NET Task (ctx, tp), ours with state-passing Bind, ours literal (wall ns/op), 3 rounds.
HERE="$(cd "$(dirname "$0")" && pwd)"
B="$HERE/Lwt.Perf/bin/Release/net10.0/Lwt.Perf"   # build first: dotnet build -c Release perf/Lwt.Perf
D=/tmp/anchors-build/dotnet-task/bin/DotnetTask/release/DotnetTask   # built by shared/anchors/dotnet-task/run.sh
O=/tmp/anchors-build/ocaml-lwt/bench   # built by shared/anchors/ocaml-lwt/run.sh
for r in 1 2 3; do
  for w in bind-resolved ping-pong pause pick-cancel mvar stream; do
    $O $w
    $D $w ctx; $D $w tp
    $B workload $w/state
    $B workload $w
  done
done
