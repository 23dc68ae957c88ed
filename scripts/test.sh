#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway PostgreSQL, run every test, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

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
exit $status
