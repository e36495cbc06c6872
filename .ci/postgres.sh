#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the sql data node tests and
# prints the SCENARIUM_TEST_POSTGRES value ("host:port:user:password:database").
# Installs Debian's server package when it is missing and we may (root with apt).
# Prints nothing when no server can be had: those tests then skip, saying why.
set -euo pipefail
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q postgresql >/dev/null 2>&1; }) || true
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
[ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL server binaries" >&2; exit 0; }
run_as=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "postgres.sh: no postgres user to run the server as" >&2; exit 0; }
    run_as=(runuser -u postgres --)
fi
dir="$(mktemp -d /tmp/scenarium-pg.XXXXXX)"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(( 20000 + RANDOM % 20000 ))
"${run_as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U scenarium >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
"${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U scenarium scenarium
echo "$dir/data" > "$dir/DATA"
echo "127.0.0.1:$port:scenarium:scenarium:scenarium $dir"
