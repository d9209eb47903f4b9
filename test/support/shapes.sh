#!/usr/bin/env bash
# Starts Logbook in one runtime shape in the background for a test suite, and stops it again.
#   shapes.sh start embedded|distributed <port> <state dir>   prints the base URL once it is healthy
#   shapes.sh stop <state dir>
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Runs one statement against the server of DATABASE_URL, with the pg driver the services use.
database_admin() {
  (cd "$repo" && node -e '
    const { Client } = require("pg");
    const client = new Client(process.argv[1]);
    client.connect().then(() => client.query(process.argv[2])).then(
      () => client.end(),
      (error) => { console.error(error.message); process.exit(1); },
    );' "$DATABASE_URL" "$1")
}

# wait_healthy <url> <log> [path]: /health by default; /health/ready also waits for Kafka and the database.
# SHAPES_START_TIMEOUT_S (default 60): an embedded process listens only once its in-process subscriptions
# have caught up with its log, which takes minutes after a bulk import.
wait_healthy() {
  local url=$1 log=$2 path=${3:-/health}
  for _ in $(seq 1 $((${SHAPES_START_TIMEOUT_S:-60} * 2))); do
    if curl -sf "$url$path" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "Logbook did not become healthy at $url; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

start() {
  local shape=$1 port=$2 dir=$3
  mkdir -p "$dir"
  # Every process of either shape gets them; in the distributed shape the registry delivers webhooks.
  # shellcheck disable=SC1091
  source "$repo/test/support/webhook-env.sh"
  # The gateway's gRPC endpoint: the REST port + 10000 unless GRPC_PORT says otherwise (grpc_target below).
  export GRPC_PORT="${GRPC_PORT:-$((port + 10000))}"
  case "$shape" in
    embedded)
      # As npm start: V8's default young generation, which keeps the one process small (README, "V8 flags").
      NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=16}" LOGBOOK_MODE=embedded LOGBOOK_DATA_DIR="$dir/data" PORT="$port" \
        node "$repo/dist/services/gateway/src/main.js" >"$dir/gateway.log" 2>&1 &
      echo $! >"$dir/pids"
      ;;
    distributed)
      # As deploy/local/start-distributed.sh: a larger young generation (README, "V8 flags").
      export NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=64}"
      # A database of its own: suites that change shared state (schemathesis renames the default
      # experiment) must not leave it to the next run. SHAPE_DATABASE=given keeps DATABASE_URL (the
      # bench reads the database it gave).
      if [ "${SHAPE_DATABASE:-own}" = own ]; then
        local database="logbook_shape_${port}_$$"
        database_admin "CREATE DATABASE $database"
        echo "$database" >"$dir/database"
        export DATABASE_URL="${DATABASE_URL%/*}/$database"
      fi
      # Topics and consumer groups of its own too: another installation on the same broker must not
      # take a share of its partitions.
      export LOGBOOK_KAFKA_NAMESPACE="${LOGBOOK_KAFKA_NAMESPACE:-run-$port-$$}"
      # Said explicitly, as the distributed shape requires: these suites drive it without credentials.
      export LOGBOOK_AUTH="${LOGBOOK_AUTH:-off}"
      local tracking_port=$((port + 1)) artifacts_port=$((port + 2)) registry_port=$((port + 3))
      # With auth on, the services read their callers' permissions from the identity service in the gateway.
      export LOGBOOK_GATEWAY_URL="http://127.0.0.1:$port"
      LOGBOOK_MODE=distributed PORT="$tracking_port" \
        node "$repo/dist/services/tracking/src/main.js" >"$dir/tracking.log" 2>&1 &
      echo $! >"$dir/pids"
      LOGBOOK_MODE=distributed PORT="$artifacts_port" S3_PREFIX="${S3_PREFIX:-run-$port-$$/}" \
        node "$repo/dist/services/artifacts/src/main.js" >"$dir/artifacts.log" 2>&1 &
      echo $! >>"$dir/pids"
      LOGBOOK_MODE=distributed PORT="$registry_port" \
        node "$repo/dist/services/registry/src/main.js" >"$dir/registry.log" 2>&1 &
      echo $! >>"$dir/pids"
      # The services serve before Kafka answers; the suite starts once they publish and consume.
      wait_healthy "http://127.0.0.1:$tracking_port" "$dir/tracking.log" /health/ready
      wait_healthy "http://127.0.0.1:$artifacts_port" "$dir/artifacts.log" /health/ready
      wait_healthy "http://127.0.0.1:$registry_port" "$dir/registry.log" /health/ready
      LOGBOOK_MODE=distributed TRACKING_URL="http://127.0.0.1:$tracking_port" \
        ARTIFACTS_URL="http://127.0.0.1:$artifacts_port" REGISTRY_URL="http://127.0.0.1:$registry_port" PORT="$port" \
        node "$repo/dist/services/gateway/src/main.js" >"$dir/gateway.log" 2>&1 &
      echo $! >>"$dir/pids"
      ;;
    *) echo "unknown shape: $shape" >&2; exit 2 ;;
  esac
  wait_healthy "http://127.0.0.1:$port" "$dir/gateway.log"
  echo "http://127.0.0.1:$port"
}

stop() {
  local dir=$1
  [ -f "$dir/pids" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
  while read -r pid; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done <"$dir/pids"
  rm -f "$dir/pids"
  if [ -f "$dir/database" ]; then
    database_admin "DROP DATABASE IF EXISTS $(cat "$dir/database") WITH (FORCE)"
    rm -f "$dir/database"
  fi
}

"$@"
