#!/bin/bash
# order1/build.sh DIR ML: builds DIR/ML a second time, into DIR/prog1, against a copy of the
# installed Lwt whose callbacks of one promise run in the order they were attached (README
# known difference 1: Lwt runs the newest first, ours the oldest). See README "order1".
# Only for programs that use modules Lwt, Lwt_seq, Lwt_list, Lwt_result (their sources,
# unchanged, are built on the patched Lwt) and, at most, Lwt_main.run (core, asyncm, listseq):
# lwt.unix is not rebuilt (any other module fails the build), and Lwt_main is lwt_main.ml
# here, 5.6.1's run without an engine.
set -e -o pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
D="$1"; ML="$2"
LWT="$(ocamlfind query lwt)"
T="$D/order1"; rm -rf "$T"; mkdir -p "$T"
for m in lwt_sequence lwt_seq lwt_list lwt_result; do cp "$LWT/$m.ml" "$LWT/$m.mli" "$T/"; done
cp "$LWT/lwt.mli" "$T/"
python3 "$HERE/patch.py" "$LWT/lwt.ml" "$T/lwt.ml"
cp "$HERE/lwt_main.ml" "$HERE/lwt_main.mli" "$T/"
cp "$D/$ML" "$T/prog.ml"
cd "$T"
S=""; for m in lwt_sequence lwt lwt_seq lwt_list lwt_result lwt_main; do S="$S $m.mli $m.ml"; done
ocamlfind ocamlopt -w -a $S prog.ml -o "$D/prog1"
