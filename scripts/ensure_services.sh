#!/usr/bin/env bash
# Vérifie que PostgreSQL (127.0.0.1:5432) et Redis (127.0.0.1:6379) répondent, et les démarre sinon
# avec les commandes de la machine de CI. Échoue bruyamment, en nommant le service, s'il ne démarre pas.
# Utilisé par `make test-services` (donc par .ci/run).
#   scripts/ensure_services.sh             # PostgreSQL et Redis
#   scripts/ensure_services.sh redis       # seulement Redis (ou : postgres)
set -euo pipefail

[ $# -gt 0 ] || set -- postgres redis
for s in "$@"; do
    case "$s" in
        postgres | redis) ;;
        *) echo "ensure_services : service inconnu « $s » (postgres, redis)" >&2; exit 2 ;;
    esac
done

HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
WAIT_SECONDS=${FJJ_SERVICES_WAIT:-30}

say() { echo "ensure_services : $*"; }
fail() { echo "ensure_services : ERREUR : $*" >&2; exit 1; }

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -h "$HOST" -p "$PG_PORT" -q
    else
        tcp_open "$HOST" "$PG_PORT"
    fi
}

redis_ready() {
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
    else
        tcp_open "$HOST" "$REDIS_PORT"
    fi
}

wait_for() {  # wait_for CHECK_FUNCTION: true once it passes, false after WAIT_SECONDS
    local i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        "$1" && return 0
        sleep 0.5
    done
    return 1
}

ensure_postgres() {
    if pg_ready; then
        say "PostgreSQL répond sur $HOST:$PG_PORT"
    else
        say "PostgreSQL ne répond pas sur $HOST:$PG_PORT : démarrage"
        command -v pg_ctlcluster >/dev/null 2>&1 || fail "PostgreSQL : pg_ctlcluster introuvable (paquet postgresql-common absent ?)"
        [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ] || fail "PostgreSQL : aucun cluster dans /etc/postgresql"
        pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start \
            || pg_ready || fail "PostgreSQL : pg_ctlcluster n'a pas pu démarrer le cluster"
        wait_for pg_ready || fail "PostgreSQL : toujours muet sur $HOST:$PG_PORT après ${WAIT_SECONDS} s"
        say "PostgreSQL démarré"
    fi
    # the database named in FJJ_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test)
    if command -v psql >/dev/null 2>&1 \
        && ! psql -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1; then
        say "création de la base PostgreSQL « test »"
        createdb -h "$HOST" -p "$PG_PORT" -U postgres test || fail "PostgreSQL : impossible de créer la base « test »"
    fi
}

ensure_redis() {
    if redis_ready; then
        say "Redis répond sur $HOST:$REDIS_PORT"
        return
    fi
    say "Redis ne répond pas sur $HOST:$REDIS_PORT : démarrage"
    command -v redis-server >/dev/null 2>&1 || fail "Redis : redis-server introuvable (paquet redis-server absent ?)"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log \
        || fail "Redis : redis-server n'a pas pu démarrer (voir /var/log/redis/ci.log)"
    wait_for redis_ready || fail "Redis : toujours muet sur $HOST:$REDIS_PORT après ${WAIT_SECONDS} s (voir /var/log/redis/ci.log)"
    say "Redis démarré"
}

for s in "$@"; do
    "ensure_$s"
done
