#!/bin/bash
# Differential test of Lwt for .NET against OCaml Lwt 5.6.1 (see README.md).
# usage: test/differential/run.sh AREA SEED N [extra...]
#   AREA: core | syncstream | listseq | lwtio | lwtiopipe | unixfiles | timed | sockproc | mainsys | interop | asyncm | engine
#   extra (per area): core [MAXSTEPS=10]; asyncm [MAXSTEPS=8] (env OFFLOOP=1 TAIL=0.35 TAILCALLS=1); syncstream [MODS=all [MAXSTEPS=12]]; interop [MAXOPS=6];
#     listseq [FAMILIES=list,seq,result,itern [OPTS]]; lwtio [FAMILIES=base] (base, numbers, faults, faults2); lwtiopipe [MODE=pipe|socket|server|server6|serveropts|cancel|cancelsock|cancelx];
#     unixfiles [BYTES_FRACTION=0.15 [MAXSTEPS=12 [FAMILIES=base]]] (base, io2; both: half each); timed [FAMILIES=sleep,tmo,thr [MAXSTEPS=10]];
#     sockproc [PROC_FRACTION=0.3 [MAXSTEPS=10 [FAMILY=v4|v6|accerr]]]; mainsys [FAMILIES=hooks,exit,sig,notif,pre,proc,dns [MAXSTEPS=8]];
#     engine [FAMILIES=io,timer,fake,xfer,close,raise [MAXSTEPS=10 [ENGINES=ep,po,sb,pb]]]
# Everything is written under ${WORK:-/tmp/lwt-differential}/AREA/SEED/ (programs, both traces,
# the C# build, diff.txt). Exit 0 when cmp.py finds no unexplained difference, 1 when it does,
# 2 on a usage or build error.
set -e -o pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
AREA="${1:-}"; SEED="${2:-}"; N="${3:-}"
case "$AREA" in core|syncstream|listseq|lwtio|lwtiopipe|unixfiles|timed|sockproc|mainsys|interop|asyncm|engine) ;; *) sed -n 3,12p "$0" >&2; exit 2;; esac
[[ "$SEED" =~ ^[0-9]+$ && "$N" =~ ^[0-9]+$ ]] || { sed -n 3,12p "$0" >&2; exit 2; }
shift 3
A="$HERE/$AREA"
W="${WORK:-/tmp/lwt-differential}/$AREA/$SEED"
rm -rf "$W"; mkdir -p "$W"
cd "$W"

# interop has no OCaml side (Lwt has no Tasks): its C# program generates its programs from
# SEED and N, checks each against API.md's Interop contract itself, and prints VIOLATION lines.
if [ "$AREA" = interop ]; then
  dotnet build "$A/$AREA.csproj" -c Release -nologo -v q -p:DiffWork="$W" -o "$W/csbin" > cs_build.txt 2>&1 \
    || { grep -E " error " cs_build.txt | sort -u | head -30 >&2; echo "C# build failed ($W/cs_build.txt)" >&2; exit 2; }
  set +e
  timeout 1800 dotnet "$W/csbin/$AREA.dll" "$SEED" "$N" "${1:-6}" > cs.out 2> cs.out.err; rc=$?
  grep -E "VIOLATION" cs.out > diff.txt; tail -1 cs.out >> diff.txt
  tail -3 diff.txt
  echo "($W/diff.txt; exit $([ $rc = 0 ] && echo 0 || echo 1))"
  [ $rc = 0 ] && exit 0 || exit 1
fi

# 1. generate: prog.ml / progs.ml and the C# file the area's csproj compiles from $(DiffWork)
ML=progs.ml; MLPKG="-package lwt,lwt.unix"; MLFLAGS=""
case "$AREA" in
  core)       mkdir -p cs; python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-10}"; ML=prog.ml; MLPKG="-package lwt" ;;
  syncstream) python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-mutex,mvar,switch,pool,pool_safe,stream}" "${2:-12}"
              ML=prog.ml; MLFLAGS="-w -a" ;;
  listseq)    python3 "$A/gen.py" "$SEED" "$N" "${1:-list,seq,result,itern}" "$W" ${2:+"$2"}; ML=prog.ml ;;
  lwtio)      python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-base}"; MLFLAGS="-thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  lwtiopipe)  python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-pipe}"; MLFLAGS="-thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  unixfiles)  mkdir -p ml/x/y/z cs/x/y/z
              (umask 022; python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-0.15}" "${2:-12}" "${3:-base}")
              MLFLAGS="-w -a -thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  timed)      python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-sleep,tmo,thr}" "${2:-10}"
              MLFLAGS="-w -a -thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  sockproc)   python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-0.3}" "${2:-10}" "${3:-v4}"
              MLFLAGS="-w -a -thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  mainsys)    python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-hooks,exit,sig,notif,pre,proc,dns}" "${2:-8}"
              MLFLAGS="-w -a -thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
  engine)     python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-io,timer,fake,xfer,close,raise}" "${2:-10}" "${3:-ep,po,sb,pb}"
              MLFLAGS="-w -a" ;;
  asyncm)     python3 "$A/gen.py" "$SEED" "$N" "$W" "${1:-8}"; ML=prog.ml
              MLFLAGS="-w -a -thread"; MLPKG="-package lwt,lwt.unix,threads" ;;
esac

# 2. OCaml side
ocamlfind ocamlopt $MLFLAGS $MLPKG -linkpkg "$ML" -o prog > ml_build.txt 2>&1 \
  || { grep -v WARNING ml_build.txt | head -30 >&2; echo "OCaml build failed ($W/ml_build.txt)" >&2; exit 2; }

# 2b. core, asyncm, listseq: the same program against Lwt with the callbacks of one promise run in the
# order they were attached (order1/; README known difference 1); env ORDER1=0 skips it
O1=""
if [[ ( "$AREA" = core || "$AREA" = asyncm || "$AREA" = listseq ) && "${ORDER1:-1}" = 1 ]]; then
  "$HERE/order1/build.sh" "$W" "$ML" > order1_build.txt 2>&1 \
    || { grep -v WARNING order1_build.txt | head -30 >&2; echo "order1 build failed ($W/order1_build.txt)" >&2; exit 2; }
  O1=ml1.out
fi

# 3. C# side, built once in Release against this checkout's src/Lwt.Scheduling
dotnet build "$A/$AREA.csproj" -c Release -nologo -v q -p:DiffWork="$W" -o "$W/csbin" > cs_build.txt 2>&1 \
  || { grep -E " error " cs_build.txt | sort -u | head -30 >&2; echo "C# build failed ($W/cs_build.txt)" >&2; exit 2; }
CS=(dotnet "$W/csbin/$AREA.dll")

# 4. run both (traces in ml.out / cs.out; a crash or timeout shows in the trace and the rc line)
run() { # run DIR OUT CMD...: run CMD in DIR, stdout to OUT, stderr to OUT.err
  local d="$1" o="$2"; shift 2
  (cd "$d" && umask 022 && timeout 600 "$@" > "$W/$o" 2> "$W/$o.err") || echo "$o: exit $?" >&2
}
case "$AREA" in
  unixfiles) run ml/x/y/z ml.out "$W/prog"; run cs/x/y/z cs.out "${CS[@]}" ;;
  listseq)   run . ml.out ./prog; [ -z "$O1" ] || run . ml1.out ./prog1; run . cs.out "${CS[@]}" ${LOOP:+loop} ;;
  mainsys)   # every program but the exit ones in one process; each exit program in its own
             # (its hooks run when the process ends), its exit code appended unless it ended
             # by an uncaught exception (OCaml's 2, .NET's abort)
             run . ml.out ./prog inproc; run . cs.out "${CS[@]}" inproc
             while read -r k ending; do
               for side in ml cs; do
                 if [ $side = ml ]; then cmd=(./prog "$k"); else cmd=("${CS[@]}" "$k"); fi
                 rc=0; timeout 60 "${cmd[@]}" >> $side.out 2>> $side.out.err || rc=$?
                 if [ "$ending" = uncaught ]; then echo "  rc (uncaught)" >> $side.out; else echo "  rc $rc" >> $side.out; fi
               done
             done < exit.txt ;;
  asyncm)    run . ml.out ./prog; [ -z "$O1" ] || run . ml1.out ./prog1; run . cs.out "${CS[@]}" async ${OFFLOOP:+offloop}; run . csb.out "${CS[@]}" bind ${OFFLOOP:+offloop} ;;
  core)      run . ml.out ./prog; [ -z "$O1" ] || run . ml1.out ./prog1; run . cs.out "${CS[@]}" ;;
  *)         run . ml.out ./prog; run . cs.out "${CS[@]}" ;;
esac

# 5. compare (cmp.py prints a summary; its exit code is this script's)
set +e
python3 "$A/cmp.py" ml.out cs.out $([ "$AREA" = timed ] && echo meta.txt) $([ "$AREA" = asyncm ] && echo csb.out) $O1 > diff.txt; rc=$?
if [ "$AREA" = lwtio ]; then
  # also with each program's lines sorted: which differences are order-only
  ORDER=0 python3 "$A/cmp.py" ml.out cs.out > diff_unordered.txt
  echo "ignoring order: $(tail -1 diff_unordered.txt)"
fi
tail -3 diff.txt
echo "($W/diff.txt; exit $rc)"
exit $rc
