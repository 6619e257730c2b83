#!/usr/bin/env bash
# Prints the directory holding the PostgreSQL server binaries (initdb, pg_ctl,
# postgres): the PATH first, then Debian's /usr/lib/postgresql/<version>/bin,
# newest version first. Exits 1 when there is none.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  dirname "$(readlink -f "$(command -v initdb)")"
  exit 0
fi
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
    echo "$dir"
    exit 0
  fi
done
exit 1
