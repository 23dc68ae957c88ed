#!/usr/bin/env bash
# A PostgreSQL cluster of our own, run as a non-root user on a free loopback port.
#   pg.sh start DIR [PORT]   initialise DIR if needed and start; prints the connection string
#   pg.sh stop DIR
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?data directory}")

as_owner() {
  # initdb refuses to run as root: when we are root, the cluster belongs to `postgres`.
  # From /, which `postgres` can always enter (the caller's directory may be private to root).
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the cluster lives: DIR itself, unless we are root and `postgres` cannot reach DIR (a clone under /root or in a
# private temporary directory): then a directory of its own under /var/lib/postgresql, named after DIR, so that start
# and stop agree and DIR's owner keeps their permissions.
home_of() {
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! (cd / && runuser -u postgres -- test -x "$(dirname "$dir")"); then
    echo "/var/lib/postgresql/citycontact/$(printf %s "$dir" | sha256sum | cut -c1-16)"
  else
    echo "$dir"
  fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case "$cmd" in
  start)
    port=${3:-$(free_port)}
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
      chown postgres "$dir"
      chmod a+x "$(dirname "$dir")"
      if [ "$(home_of)" != "$dir" ]; then
        dir=$(home_of)
        echo "pg.sh: the postgres user cannot enter ${2}'s directories; the cluster lives in $dir" >&2
      fi
      install -d -o postgres -m 0700 "$dir"
    fi
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if as_owner "$bindir/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
      # Already running: report the port it really listens on (line 4 of postmaster.pid).
      echo "Host=127.0.0.1;Port=$(sed -n 4p "$dir/pgdata/postmaster.pid");Username=postgres"; exit 0
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 60 start \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
      || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=postgres"
    ;;
  stop)
    dir=$(home_of)
    if [ -f "$dir/pgdata/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null || true
    fi
    ;;
  *) echo "usage: pg.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
