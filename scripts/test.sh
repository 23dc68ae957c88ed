#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway PostgreSQL, run every test, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

# The real-Asterisk suite (tests/CityContact.RealAsterisk.Tests) needs Asterisk 22, pjsua and SIPp. When the prebuilt
# Asterisk sits beside the repository, install it under .data/ (re-running changes nothing) and make the suite
# required: with Asterisk at hand, a skipped real-Asterisk test is a failure, not a pass.
asterisk_dist=../shared/asterisk/dist
if [ -z "${CITYCONTACT_ASTERISK:-}" ] && [ -x "$asterisk_dist/install.sh" ]; then
  if bash "$asterisk_dist/install.sh" "$PWD/.data/asterisk" >/dev/null; then
    export CITYCONTACT_ASTERISK="$PWD/.data/asterisk/bin/asterisk" CITYCONTACT_PJSUA="$PWD/.data/asterisk/bin/pjsua"
    export CITYCONTACT_ASTERISK_REQUIRED=1
  else
    echo "test: installing Asterisk from $asterisk_dist failed; the real-Asterisk tests will be skipped" >&2
  fi
fi
asterisk_found=no
if [ -x "${CITYCONTACT_ASTERISK:-}" ] || { [ -z "${CITYCONTACT_ASTERISK:-}" ] && command -v asterisk >/dev/null; }; then
  asterisk_found=yes
fi

work=$(mktemp -d /tmp/citycontact-test.XXXXXX)
chmod 755 "$work"
cleanup() { bash scripts/pg.sh stop "$work/pg" || true; rm -rf "$work"; }
trap cleanup EXIT

export CITYCONTACT_TEST_DB
CITYCONTACT_TEST_DB=$(bash scripts/pg.sh start "$work/pg")
echo "test: PostgreSQL at ${CITYCONTACT_TEST_DB}"

dotnet build CityContact.sln -c Release -nologo -v quiet
status=0
dotnet test CityContact.sln -c Release --no-build -nologo -v quiet \
  --logger "console;verbosity=normal" --results-directory "$work/results" 2>&1 | tee "$work/test.log" || status=$?

# One line of totals over every test assembly.
awk '/^Total tests:/ { t += $3 } /^ +Passed:/ { p += $2 } /^ +Failed:/ { f += $2 } /^ +Skipped:/ { s += $2 }
     END { printf "\nTOTAL: %d tests, %d passed, %d failed, %d skipped\n", t, p, f, s }' "$work/test.log"

# How much hostile input the OpenAPI-walking edge suite sent (its EDGES line), and the decoder fuzzing's inputs.
edges=tests/CityContact.Service.Tests/bin/Release/net10.0/openapi-edges.txt
if [ -s "$edges" ]; then head -n 1 "$edges"; fi

# The real-Asterisk suite on a line of its own, from its per-test result lines (assemblies' summaries interleave).
read -r real_total real_passed real_failed real_skipped < <(awk '
  /^ +(Passed|Failed|Skipped) CityContact\.RealAsterisk\.Tests\./ { t++; r[$1]++ }
  END { printf "%d %d %d %d\n", t, r["Passed"], r["Failed"], r["Skipped"] }' "$work/test.log")
if [ "$real_total" -eq 0 ]; then
  echo "REAL ASTERISK: not run (no results from CityContact.RealAsterisk.Tests)"
  status=1
elif [ "$asterisk_found" = no ]; then
  echo "REAL ASTERISK: $real_total tests skipped: no Asterisk found (set CITYCONTACT_ASTERISK)"
else
  echo "REAL ASTERISK: $real_total tests, $real_passed passed, $real_failed failed, $real_skipped skipped"
  if [ "$real_skipped" -gt 0 ]; then
    echo "test: Asterisk is available, so no real-Asterisk test may be skipped" >&2
    status=1
  fi
fi
exit $status
