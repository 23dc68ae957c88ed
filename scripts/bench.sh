#!/usr/bin/env bash
# `make bench`: runs every benchmark in Release and writes their results tables to bench/RESULTS.md.
#   bench.sh [--filter PATTERN]   only the sections whose name holds PATTERN; "asterisk" selects the real-Asterisk
#                                 ramp (scripts/bench-asterisk.sh), which runs last, after the in-process benchmarks
#   BENCH_ASTERISK=0              leaves the real-Asterisk ramp out
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
out=bench/RESULTS.md
artifacts=$(mktemp -d /tmp/citycontact-bench.XXXXXX)
trap 'rm -rf "$artifacts"' EXIT

filter=
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --filter ] && [ $i -lt $# ]; then j=$((i + 1)); filter=${!j}; fi
done
asterisk_only=false
case "${filter,,}" in *asterisk*) asterisk_only=true ;; esac

if ! $asterisk_only; then
  dotnet run -c Release --project bench/CityContact.Benchmarks -- --artifacts "$artifacts" --out "$out" "$@"
fi
if [ "${BENCH_ASTERISK:-1}" != 0 ] && { [ -z "$filter" ] || $asterisk_only; }; then
  # It measures whole calls on the machine's cores: nothing else of the bench runs meanwhile.
  bash scripts/bench-asterisk.sh --out "$out"
  # The same with Asterisk alone on a core: what CityContact costs Asterisk itself, apart from sharing its CPUs.
  bash scripts/bench-asterisk.sh --split --out "$out"
fi
echo "bench: results written to $out"
