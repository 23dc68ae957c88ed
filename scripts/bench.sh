#!/usr/bin/env bash
# `make bench`: runs every benchmark in Release and writes their results tables to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
out=bench/RESULTS.md
artifacts=$(mktemp -d /tmp/citycontact-bench.XXXXXX)
trap 'rm -rf "$artifacts"' EXIT

dotnet run -c Release --project bench/CityContact.Benchmarks -- --artifacts "$artifacts" --out "$out" "$@"
echo "bench: results written to $out"
