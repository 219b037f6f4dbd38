# Sourced by .ci/run (bash): PgBouncer in transaction pooling mode and a streaming replica of
# the running PostgreSQL (127.0.0.1:5432), both private to this run: their files live in a temp
# directory, and an EXIT trap stops them and drops the replication slot.
#
#   start_pgbouncer   PgBouncer on 127.0.0.1:$CI_PGBOUNCER_PORT (6432) -> 127.0.0.1:5432, every
#                     database, auth_type trust (user list in the temp dir), pool_mode transaction
#   start_replica     a second cluster on 127.0.0.1:$CI_REPLICA_PORT (5433) made with
#                     `pg_basebackup -R` from the primary (role crm_ci_replication and a pg_hba
#                     line for it are added to the primary if missing), streaming from a
#                     replication slot of its own
#   start_replica_in_background, wait_for_replica
#                     the same while other steps run (the base backup copies the whole cluster)
#
# PgBouncer and PostgreSQL refuse to run as root: as root, they run as the postgres OS user.

CI_PGBOUNCER_PORT="${CI_PGBOUNCER_PORT:-6432}"
CI_REPLICA_PORT="${CI_REPLICA_PORT:-5433}"
CI_PG_BIN="${CI_PG_BIN:-/usr/lib/postgresql/$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)/bin}"
CI_REPLICATION_ROLE=crm_ci_replication
CI_REPLICA_SLOT="crm_ci_replica_${CI_REPLICA_PORT}"
CI_EXTRAS_DIR=""
CI_REPLICA_JOB=""

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

to_postgres() {  # hand files to the postgres OS user (when running as root)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$@"; fi
}

port_is_free() {
  if pg_isready -q -h 127.0.0.1 -p "$1" || (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "port $1 on 127.0.0.1 is taken (another run?): set $2 to a free port" >&2
    return 1
  fi
}

primary_sql() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }

extras_dir() {
  if [ -z "$CI_EXTRAS_DIR" ]; then
    CI_EXTRAS_DIR="$(mktemp -d /tmp/crm-ci-postgres.XXXXXX)"
    chmod 755 "$CI_EXTRAS_DIR"
    to_postgres "$CI_EXTRAS_DIR"
    trap stop_postgres_extras EXIT
  fi
}

stop_postgres_extras() {
  [ -n "$CI_EXTRAS_DIR" ] || return 0
  if [ -n "$CI_REPLICA_JOB" ]; then wait "$CI_REPLICA_JOB" 2>/dev/null || true; fi  # a base backup under way
  if [ -f "$CI_EXTRAS_DIR/pgbouncer.pid" ]; then
    kill "$(cat "$CI_EXTRAS_DIR/pgbouncer.pid")" 2>/dev/null || true
  fi
  if [ -f "$CI_EXTRAS_DIR/replica/postmaster.pid" ]; then
    as_postgres "$CI_PG_BIN/pg_ctl" -D "$CI_EXTRAS_DIR/replica" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  # An abandoned slot would keep WAL on the primary forever.
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
               WHERE slot_name = '$CI_REPLICA_SLOT' AND NOT active" >/dev/null 2>&1 || true
  rm -rf "$CI_EXTRAS_DIR"
  CI_EXTRAS_DIR=""
}

start_pgbouncer() {
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "Installing Debian's pgbouncer"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  fi
  port_is_free "$CI_PGBOUNCER_PORT" CI_PGBOUNCER_PORT || return 1
  extras_dir
  local dir="$CI_EXTRAS_DIR"
  echo '"postgres" ""' >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $CI_PGBOUNCER_PORT
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
  to_postgres "$dir"/userlist.txt "$dir"/pgbouncer.ini
  as_postgres "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d -q "$dir/pgbouncer.ini"
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p "$CI_PGBOUNCER_PORT" && break; sleep 0.25; done
  psql -h 127.0.0.1 -p "$CI_PGBOUNCER_PORT" -U postgres -d postgres -tAc "select 1" >/dev/null \
    || { echo "PgBouncer does not pass queries on 127.0.0.1:$CI_PGBOUNCER_PORT" >&2; cat "$dir/pgbouncer.log" >&2; return 1; }
  psql -h 127.0.0.1 -p "$CI_PGBOUNCER_PORT" -U postgres -d pgbouncer -tAc "SHOW CONFIG" | grep -q '^pool_mode|transaction|' \
    || { echo "PgBouncer is not in transaction pooling mode" >&2; return 1; }
  echo "PgBouncer $(pgbouncer --version 2>/dev/null | head -1 | awk '{print $2}') on 127.0.0.1:$CI_PGBOUNCER_PORT (pool_mode transaction)"
}

start_replica() {
  port_is_free "$CI_REPLICA_PORT" CI_REPLICA_PORT || return 1
  extras_dir
  local dir="$CI_EXTRAS_DIR" data="$CI_EXTRAS_DIR/replica" started=$SECONDS
  [ "$(primary_sql "SHOW wal_level")" != minimal ] || { echo "the primary's wal_level is minimal: a replica needs 'replica'" >&2; return 1; }
  primary_sql "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CI_REPLICATION_ROLE') THEN
        CREATE ROLE $CI_REPLICATION_ROLE WITH LOGIN REPLICATION;
      END IF; END \$\$" >/dev/null
  local hba line="host replication $CI_REPLICATION_ROLE 127.0.0.1/32 trust"
  hba="$(primary_sql "SHOW hba_file")"
  if ! grep -qxF "$line" "$hba"; then
    echo "Allowing replication connections for $CI_REPLICATION_ROLE in $hba"
    printf '# CI replica (.ci/postgres-extras.sh)\n%s\n' "$line" >>"$hba"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
               WHERE slot_name = '$CI_REPLICA_SLOT' AND NOT active" >/dev/null
  as_postgres "$CI_PG_BIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U "$CI_REPLICATION_ROLE" -D "$data" \
    -R -X stream -c fast -C -S "$CI_REPLICA_SLOT" --no-sync
  # Debian keeps the configuration outside the data directory: a minimal one of our own. A hot
  # standby needs these limits at least as high as the primary's.
  local limits="" setting
  for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    limits="$limits -c $setting=$(primary_sql "SHOW $setting")"
  done
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$data/pg_hba.conf"
  : >"$data/postgresql.conf"
  : >"$data/pg_ident.conf"
  to_postgres "$data"/pg_hba.conf "$data"/postgresql.conf "$data"/pg_ident.conf
  as_postgres "$CI_PG_BIN/pg_ctl" -D "$data" -l "$dir/replica.log" -w -t 120 start -o \
    "-c port=$CI_REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
     -c hot_standby=on -c hot_standby_feedback=on -c shared_buffers=32MB -c fsync=off $limits" >/dev/null \
    || { cat "$dir/replica.log" >&2; return 1; }
  [ "$(psql -h 127.0.0.1 -p "$CI_REPLICA_PORT" -U postgres -d postgres -tAc "SELECT pg_is_in_recovery()")" = t ] \
    || { echo "the replica on port $CI_REPLICA_PORT is not in recovery" >&2; return 1; }
  echo "Streaming replica on 127.0.0.1:$CI_REPLICA_PORT ($(du -sh "$data" | cut -f1) copied in $((SECONDS - started)) s)"
}

start_replica_in_background() {
  port_is_free "$CI_REPLICA_PORT" CI_REPLICA_PORT || return 1
  extras_dir
  start_replica >"$CI_EXTRAS_DIR/start_replica.out" 2>&1 &
  CI_REPLICA_JOB=$!
}

wait_for_replica() {
  local status=0
  wait "$CI_REPLICA_JOB" || status=$?
  CI_REPLICA_JOB=""
  cat "$CI_EXTRAS_DIR/start_replica.out"
  [ "$status" = 0 ] || { echo "the replica did not start" >&2; return 1; }
}
