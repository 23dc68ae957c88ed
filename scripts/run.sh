#!/usr/bin/env bash
# `make run` (after `make db` started PostgreSQL on port $1 under .data/pg): create the database, build,
# migrate, make sure a bootstrap admin key exists, and serve on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${1:?PostgreSQL port}
data=.data
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
url=${CITYCONTACT_URL:-http://127.0.0.1:8080}

if [ -z "$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'citycontact'")" ]; then
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres citycontact
fi
export ConnectionStrings__CityContact="Host=127.0.0.1;Port=$port;Username=postgres;Database=citycontact"

# A configured key wins; otherwise one generated on the first run and kept (owner-only) under .data/.
if [ -z "${Auth__BootstrapAdminKey:-}" ]; then
  keyfile=$data/bootstrap-admin-key
  if [ ! -s "$keyfile" ]; then
    (umask 077; python3 -c 'import secrets; print("cc_bootstrap_" + secrets.token_urlsafe(32))' >"$keyfile")
  fi
  chmod 600 "$keyfile"
  Auth__BootstrapAdminKey=$(cat "$keyfile")
  export Auth__BootstrapAdminKey
fi

# The console's first admin account ("admin"), created on start while no admin account exists; its password is
# generated once and kept (owner-only) beside the bootstrap key.
if [ -z "${Accounts__FirstAdminPassword:-}" ]; then
  passwordfile=$data/first-admin-password
  if [ ! -s "$passwordfile" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$passwordfile")
  fi
  chmod 600 "$passwordfile"
  Accounts__FirstAdminPassword=$(cat "$passwordfile")
  export Accounts__FirstAdminPassword
fi

# Prompts uploaded over the API go to a copy of the shipped sounds under .data/ (which `make clean` removes), never
# into the git work tree. Shipped recordings missing from the copy are added; uploads already there are kept.
if [ -z "${Prompts__SoundsDirectory:-}" ]; then
  mkdir -p "$data/sounds"
  cp -Rn sounds/. "$data/sounds/"
  export Prompts__SoundsDirectory="$PWD/$data/sounds"
fi

# Without Ari:Url the service starts the Asterisk simulator in-process; synthetic citizens then dial the city's
# number (about one call every 3 s) so that /api/calls fills with real calls through the default flow.
# The simulator is a development composition: the Production environment refuses to start without Ari:Url.
if [ -z "${Ari__Url:-}" ]; then
  export Simulator__SyntheticTraffic=${Simulator__SyntheticTraffic:-true}
  export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
fi

dotnet build src/CityContact.Service -c Release -nologo -v quiet
service=src/CityContact.Service/bin/Release/net10.0/CityContact.Service.dll
dotnet "$service" migrate

cat <<INFO

CityContact on $url   (Swagger: $url/swagger, ready: $url/health/ready)
Bootstrap admin key (send as X-Api-Key): $Auth__BootstrapAdminKey
Console: $url/   first admin: user "admin", password "$Accounts__FirstAdminPassword"
  (created on the first start; an admin's password reset in the console changes it)
Try: curl -H "X-Api-Key: $Auth__BootstrapAdminKey" $url/api/calls

INFO
exec dotnet "$service" --urls "$url"
