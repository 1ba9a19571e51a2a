#!/bin/sh
# Runs the probe benchmark (both parts) and prints markdown tables.
#
#   bench/run.sh            full run: 20,000 probes per implementation, then
#                           10,000 targets @ 10s and 1,000 @ 1s (about 8 min)
#   bench/run.sh -quick     short run (about 1.5 min)
#   bench/run.sh -cpu ...   any probebench flags (-cpu, -sched, -scenarios,
#                           -schedulers, -kinds, -probes, -duration, -only)
#
# Everything stays on loopback: the targets are this binary started again
# with -serve, in a process of its own.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
(cd "$here" && go build -o "$out/probebench" ./cmd/probebench)
"$out/probebench" "$@"
