#!/usr/bin/env bash
# Local test infrastructure without Docker, bound to 127.0.0.1 only:
#   PostgreSQL (Debian packages, throw-away cluster), Apache Kafka (KRaft, jars from Maven Central),
#   S3Proxy (jars from Maven Central, in-memory backend).
#
# Usage: deploy/local/infra.sh up [--brokers N]|stop|down|status|env
#   up      start whatever is not running, wait until ready, write <infra dir>/env, print the exports;
#           --brokers 3 runs a KRaft cluster of 3 nodes (topics replicated 3 times, 2 in sync to accept a write)
#   stop    stop everything and keep its data (a later `up` starts it again on the same data)
#   down    stop everything and delete <infra dir> (the jar cache is kept)
#   status  print each component's state; exit 0 if all are running, 3 otherwise
#   env     print the exports
#
# Environment (defaults):
#   LOGBOOK_INFRA_DIR (<repo>/.logbook/infra)   data, configs, logs, pid files
#   INFRA_COMPONENTS (postgres kafka s3proxy)   which of them up, stop and down act on
#   LOGBOOK_CACHE_DIR (~/.cache/logbook)         downloaded jars (survives `down`)
#   PG_PORT (55432)  PG_BIN (newest /usr/lib/postgresql/*/bin)  PG_DATABASE (logbook)
#   PG_DURABLE (off: no fsync, no synchronous commit; on: PostgreSQL's defaults, so a crash loses no commit)
#   PG_TLS (off; on: TLS with a certificate for 127.0.0.1 from a CA made in <infra dir>/postgres/tls, ca.pem)
#   KAFKA_VERSION (4.1.2; 3.9.2 is the fallback)  KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)
#   KAFKA_PORTS, KAFKA_CONTROLLER_PORTS (several brokers: comma-separated ports; default every second port
#     from KAFKA_PORT and KAFKA_CONTROLLER_PORT)  KAFKA_BROKER_COUNT (1; what --brokers sets)
#   KAFKA_HEAP_OPTS (-Xms256m -Xmx768m)  KAFKA_CLUSTER_ID (MkU3OEVBNTcwNTJENDM2Qk)
#   KAFKA_SECURE_PORT (none): also a SASL_SSL listener there, TLS with a CA made in <infra dir>/kafka/tls
#     (ca.pem) and SASL PLAIN and SCRAM-SHA-512 for KAFKA_SECURE_USER (logbook) / KAFKA_SECURE_PASSWORD (logbook-secret)
#   S3PROXY_VERSION (3.3.0)  S3_PORT (18080)  S3_BACKEND (filesystem-nio2 | transient-nio2: in the JVM heap, too small for large artifacts)
#   S3_ACCESS_KEY (test)  S3_SECRET_KEY (testtest)  S3_REGION (us-east-1)  S3_BUCKET (logbook)
#   S3_SECURE_PORT (none): also an HTTPS endpoint there, its certificate from a CA made in <infra dir>/s3proxy/tls (ca.pem)
#   S3PROXY_HEAP_OPTS (-Xms64m -Xmx512m)  INFRA_START_TIMEOUT (120 seconds per component)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)

INFRA_DIR=${LOGBOOK_INFRA_DIR:-$REPO_DIR/.logbook/infra}
[[ $INFRA_DIR = /* ]] || INFRA_DIR=$PWD/$INFRA_DIR
INFRA_DIR=${INFRA_DIR%/}
CACHE_DIR=${LOGBOOK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logbook}
[[ $CACHE_DIR = /* ]] || CACHE_DIR=$PWD/$CACHE_DIR

PG_PORT=${PG_PORT:-55432}
PG_DATABASE=${PG_DATABASE:-logbook}
KAFKA_VERSION=${KAFKA_VERSION:-4.1.2}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-MkU3OEVBNTcwNTJENDM2Qk}
KAFKA_SECURE_USER=${KAFKA_SECURE_USER:-logbook}
KAFKA_SECURE_PASSWORD=${KAFKA_SECURE_PASSWORD:-logbook-secret}
S3PROXY_VERSION=${S3PROXY_VERSION:-3.3.0}
S3_PORT=${S3_PORT:-18080}
S3_BACKEND=${S3_BACKEND:-filesystem-nio2}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-test}
S3_SECRET_KEY=${S3_SECRET_KEY:-testtest}
S3_REGION=${S3_REGION:-us-east-1}
S3_BUCKET=${S3_BUCKET:-logbook}
S3PROXY_HEAP_OPTS=${S3PROXY_HEAP_OPTS:--Xms64m -Xmx512m}
START_TIMEOUT=${INFRA_START_TIMEOUT:-120}
COMPONENTS=" ${INFRA_COMPONENTS:-postgres kafka s3proxy} "

PG_DIR=$INFRA_DIR/postgres
KAFKA_DIR=$INFRA_DIR/kafka
S3_DIR=$INFRA_DIR/s3proxy
KAFKA_LIB=$CACHE_DIR/kafka-$KAFKA_VERSION
S3_LIB=$CACHE_DIR/s3proxy-$S3PROXY_VERSION

# The jar cache is valid while the pom that produced it is unchanged.
jars_current() { # <lib dir> <pom>
  [[ -f $1/.complete && $(cat "$1/.complete") == "$(sha256sum <"$2")" ]]
}

wants() { [[ $COMPONENTS == *" $1 "* ]]; }

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive <pid> <substring of its command line>: guards against recycled pids.
pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

read_pid() { [[ -f $1 ]] && head -n1 "$1" || true; }

# stop_pid <pid> <seconds>: TERM, wait, then KILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid did not stop within $2 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

fail_start() { # <name> <log file>
  log "$1 failed to start; last lines of $2:"
  tail -n 60 "$2" >&2 || true
  exit 1
}

# Runs a command as the postgres OS user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- PostgreSQL

pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}

pg_pid() { [[ -f $PG_DIR/data/postmaster.pid ]] && head -n1 "$PG_DIR/data/postmaster.pid" || true; }
pg_running() { pid_alive "$(pg_pid)" postgres && port_open "$PG_PORT"; }

pg_up() {
  if pg_running; then log "postgres already running (pid $(pg_pid), port $PG_PORT)"; return; fi
  local bin t0
  bin=$(pg_bin || true)
  if [[ -z $bin ]]; then
    [[ $EUID -eq 0 ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql; install Debian's postgresql package"
    log "installing Debian's postgresql package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pg_bin) || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
  fi
  port_open "$PG_PORT" && die "port $PG_PORT is in use by another process (set PG_PORT)"
  t0=$(now)
  mkdir -p "$PG_DIR"
  if [[ $EUID -eq 0 ]]; then
    chown postgres:postgres "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" ||
      die "the postgres user cannot reach $PG_DIR (a parent folder is not traversable); set LOGBOOK_INFRA_DIR"
  fi
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    rm -rf "$PG_DIR/data"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
      fail_start postgres "$PG_DIR/initdb.log"
  fi
  # Unix socket paths are limited to 107 bytes; fall back to /tmp for deep folders.
  local sockdir=$PG_DIR
  ((${#sockdir} < 90)) || sockdir=/tmp
  # Throw-away test data needs no flush to disk; PG_DURABLE=on keeps PostgreSQL's own (crash-safe) defaults.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [[ ${PG_DURABLE:-off} == on ]] && durability=""
  local tls=""
  if [[ ${PG_TLS:-off} == on ]]; then
    tls_material "$PG_DIR/tls"
    # PostgreSQL refuses a key others can read.
    chmod 600 "$PG_DIR/tls/server.key"
    [[ $EUID -ne 0 ]] || chown -R postgres:postgres "$PG_DIR/tls"
    tls="-c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.pem -c ssl_key_file=$PG_DIR/tls/server.key"
  fi
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$START_TIMEOUT" -s \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k '$sockdir' $durability $tls" \
    start >/dev/null 2>&1 9>&- || fail_start postgres "$PG_DIR/postgres.log"
  local psql=("$bin/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
  if [[ -z $("${psql[@]}" -tAc "select 1 from pg_database where datname = '$PG_DATABASE'") ]]; then
    "${psql[@]}" -c "create database \"$PG_DATABASE\""
  fi
  log "postgres $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$PG_PORT ($(elapsed "$t0") s)"
}

pg_down() {
  local pid bin
  pid=$(pg_pid)
  if pid_alive "$pid" postgres; then
    bin=$(pg_bin || true)
    if [[ -n $bin ]]; then
      as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w -s stop >/dev/null 2>&1 || stop_pid "$pid" 10
    else
      stop_pid "$pid" 10
    fi
    log "postgres stopped"
  fi
}

# ---------------------------------------------------------------- Kafka

kafka_fetch() {
  local pom=$REPO_DIR/deploy/kafka/pom.xml
  jars_current "$KAFKA_LIB" "$pom" && return
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  local profile=kafka4 t0
  [[ ${KAFKA_VERSION%%.*} -ge 4 ]] || profile=kafka3
  t0=$(now)
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIB"
  rm -rf "$KAFKA_LIB"
  mkdir -p "$CACHE_DIR"
  mvn -B -Dstyle.color=never -f "$pom" -P"$profile" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB" \
    >"$CACHE_DIR/mvn-kafka.log" 2>&1 || fail_start "mvn (Kafka jars)" "$CACHE_DIR/mvn-kafka.log"
  [[ -f $KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
  sha256sum <"$pom" >"$KAFKA_LIB/.complete"
  log "Kafka jars fetched ($(elapsed "$t0") s)"
}

# The brokers `up` started, kept so that stop, status and env find them all (1 unless `up --brokers N`).
kafka_count() { if [[ -f $KAFKA_DIR/brokers ]]; then cat "$KAFKA_DIR/brokers"; else echo "${KAFKA_BROKER_COUNT:-1}"; fi; }

# Node i (1-based) of the cluster: its folder and its ports (KAFKA_PORTS / KAFKA_CONTROLLER_PORTS, or every
# second port from KAFKA_PORT / KAFKA_CONTROLLER_PORT). One node keeps the single-broker layout of old.
kafka_node_dir() { if (($(kafka_count) == 1)); then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
kafka_port_of() { # <node> <list> <first port>
  local -a ports
  if [[ -n $2 ]]; then
    IFS=, read -r -a ports <<<"$2"
    [[ -n ${ports[$(($1 - 1))]:-} ]] || die "node $1 has no port in '$2'"
    echo "${ports[$(($1 - 1))]}"
  else
    echo $(($3 + 2 * ($1 - 1)))
  fi
}
kafka_client_port() { kafka_port_of "$1" "${KAFKA_PORTS:-}" "$KAFKA_PORT"; }
kafka_controller_port() { kafka_port_of "$1" "${KAFKA_CONTROLLER_PORTS:-}" "$KAFKA_CONTROLLER_PORT"; }
kafka_nodes() { seq 1 "$(kafka_count)"; }

# tls_material <dir>: a certificate authority and a server certificate for 127.0.0.1 and localhost, made once
# per folder: <dir>/ca.pem is what clients trust, <dir>/server.key and <dir>/server.pem the server's.
tls_material() {
  local tls=$1
  [[ -f $tls/server.pem ]] && return
  command -v openssl >/dev/null || die "openssl is needed for the TLS listeners"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Logbook test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/san.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
    -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null
}

# Kafka's PEM keystore: the private key in PKCS#8, then the chain.
kafka_tls_material() {
  local tls=$KAFKA_DIR/tls
  [[ -f $tls/broker-keystore.pem ]] && return
  tls_material "$tls"
  openssl pkcs8 -topk8 -nocrypt -in "$tls/server.key" >"$tls/broker-keystore.pem"
  cat "$tls/server.pem" "$tls/ca.pem" >>"$tls/broker-keystore.pem"
}

kafka_config() { # <node>
  local node=$1 dir count voters="" i replicas min_isr
  dir=$(kafka_node_dir "$node")
  count=$(kafka_count)
  for i in $(kafka_nodes); do voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$i")"; done
  # One broker: no replicas to wait for. Three or more: every write on two of them, so one may fail.
  replicas=$((count < 3 ? count : 3))
  min_isr=$((replicas >= 3 ? 2 : 1))
  mkdir -p "$dir/data" "$dir/logs"
  local listeners="PLAINTEXT://127.0.0.1:$(kafka_client_port "$node"),CONTROLLER://127.0.0.1:$(kafka_controller_port "$node")"
  [[ -z ${KAFKA_SECURE_PORT:-} ]] || listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SECURE_PORT"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$listeners
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$replicas
min.insync.replicas=$min_isr
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  if [[ -n ${KAFKA_SECURE_PORT:-} ]]; then
    kafka_tls_material
    # TLS with the broker's certificate, and SASL: PLAIN (users in the JAAS line) and SCRAM-SHA-512 (the
    # credentials StorageTool format stored in the cluster's metadata).
    cat >>"$dir/server.properties" <<EOF
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_DIR/tls/broker-keystore.pem
ssl.client.auth=none
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SECURE_USER="$KAFKA_SECURE_PASSWORD";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
  fi
  if ((count > 1)); then
    # A broker that stops answering is fenced (its partitions led elsewhere, it leaves every ISR) after
    # 2.5 s instead of 9, and a controller that does, replaced after 1.5 s instead of 2 plus an election:
    # on one machine a missed heartbeat means a dead process, not a slow network.
    cat >>"$dir/server.properties" <<EOF
broker.session.timeout.ms=2500
broker.heartbeat.interval.ms=500
controller.quorum.fetch.timeout.ms=1500
controller.quorum.election.timeout.ms=500
EOF
  fi
  if [[ ${KAFKA_VERSION%%.*} -ge 4 ]]; then
    cat >>"$dir/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
EOF
    cat >"$dir/log4j2.properties" <<'EOF'
status=warn
name=logbook-kafka
appender.console.type=Console
appender.console.name=STDOUT
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
logger.statechange.name=state.change.logger
logger.statechange.level=WARN
logger.request.name=kafka.request.logger
logger.request.level=WARN
EOF
  else
    cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
  fi
}

kafka_java_opts() { # <node dir>
  local -a opts
  read -r -a opts <<<"$KAFKA_HEAP_OPTS"
  opts+=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true
    "-Dkafka.logs.dir=$1/logs")
  if [[ ${KAFKA_VERSION%%.*} -ge 4 ]]; then
    opts+=("-Dlog4j2.configurationFile=$1/log4j2.properties")
  else
    opts+=("-Dlog4j.configuration=file:$1/log4j.properties")
  fi
  printf '%s\n' "${opts[@]}"
}

kafka_node_running() { # <node>
  pid_alive "$(read_pid "$(kafka_node_dir "$1")/kafka.pid")" kafka.Kafka && port_open "$(kafka_client_port "$1")"
}

# kafka_start launches the brokers that are not running in the background; kafka_wait waits for them
# (S3Proxy starts in between).
KAFKA_T0=
KAFKA_STARTED=()
kafka_start() {
  if [[ -n ${KAFKA_BROKER_COUNT:-} && -f $KAFKA_DIR/brokers && $KAFKA_BROKER_COUNT != "$(cat "$KAFKA_DIR/brokers")" ]]; then
    die "kafka in $KAFKA_DIR has $(cat "$KAFKA_DIR/brokers") broker(s); \`down\` it before asking for $KAFKA_BROKER_COUNT"
  fi
  mkdir -p "$KAFKA_DIR"
  kafka_count >"$KAFKA_DIR/brokers.new" && mv "$KAFKA_DIR/brokers.new" "$KAFKA_DIR/brokers"
  local node
  for node in $(kafka_nodes); do
    if kafka_node_running "$node"; then
      log "kafka broker $node already running (pid $(read_pid "$(kafka_node_dir "$node")/kafka.pid"), port $(kafka_client_port "$node"))"
    else
      kafka_start_node "$node"
    fi
  done
}

kafka_start_node() { # <node>
  local node=$1 dir p
  dir=$(kafka_node_dir "$node")
  kafka_fetch
  for p in "$(kafka_client_port "$node")" "$(kafka_controller_port "$node")"; do
    port_open "$p" && die "port $p is in use by another process (set KAFKA_PORT and KAFKA_CONTROLLER_PORT, or KAFKA_PORTS and KAFKA_CONTROLLER_PORTS)"
  done
  local -a opts
  KAFKA_T0=${KAFKA_T0:-$(now)}
  kafka_config "$node"
  mapfile -t opts < <(kafka_java_opts "$dir")
  local -a scram=()
  [[ -z ${KAFKA_SECURE_PORT:-} ]] ||
    scram=(--add-scram "SCRAM-SHA-512=[name=$KAFKA_SECURE_USER,password=$KAFKA_SECURE_PASSWORD]")
  java "${opts[@]}" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
    -t "$KAFKA_CLUSTER_ID" -c "$dir/server.properties" --ignore-formatted "${scram[@]}" >"$dir/format.log" 2>&1 ||
    fail_start "kafka broker $node" "$dir/format.log"
  : >"$dir/kafka.log"
  rm -f "$dir/kafka.pid"
  # setsid: the broker must outlive the shell (and process group) that ran `up`.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/kafka.pid" \
    java "${opts[@]}" -cp "$KAFKA_LIB/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/kafka.log" 2>&1 </dev/null 9>&- &
  KAFKA_STARTED+=("$node")
}

kafka_wait() {
  [[ -n $KAFKA_T0 ]] || return 0
  local node dir pid port i
  for node in "${KAFKA_STARTED[@]}"; do
    dir=$(kafka_node_dir "$node")
    port=$(kafka_client_port "$node")
    for ((i = 0; i < START_TIMEOUT * 4; i++)); do
      pid=$(read_pid "$dir/kafka.pid")
      if grep -q 'Kafka Server started' "$dir/kafka.log" && port_open "$port"; then
        log "kafka $KAFKA_VERSION broker $node ready on 127.0.0.1:$port (pid $pid, $(elapsed "$KAFKA_T0") s)"
        continue 2
      fi
      if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then fail_start "kafka broker $node" "$dir/kafka.log"; fi
      sleep 0.25
    done
    log "kafka broker $node not ready after $START_TIMEOUT s"
    fail_start "kafka broker $node" "$dir/kafka.log"
  done
}

kafka_down() {
  local node dir pid
  for node in $(kafka_nodes); do
    dir=$(kafka_node_dir "$node")
    pid=$(read_pid "$dir/kafka.pid")
    if pid_alive "$pid" kafka.Kafka; then
      stop_pid "$pid" 30
      log "kafka broker $node stopped"
    fi
    rm -f "$dir/kafka.pid"
  done
}

kafka_brokers() {
  local node list=""
  for node in $(kafka_nodes); do list+="${list:+,}127.0.0.1:$(kafka_client_port "$node")"; done
  echo "$list"
}

# ---------------------------------------------------------------- S3Proxy

s3_fetch() {
  local pom=$REPO_DIR/deploy/s3proxy/pom.xml
  jars_current "$S3_LIB" "$pom" && return
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the S3Proxy jars)"
  local t0
  t0=$(now)
  log "fetching S3Proxy $S3PROXY_VERSION jars from Maven Central into $S3_LIB"
  rm -rf "$S3_LIB"
  mkdir -p "$CACHE_DIR"
  mvn -B -Dstyle.color=never -f "$pom" -Ds3proxy.version="$S3PROXY_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$S3_LIB" \
    >"$CACHE_DIR/mvn-s3proxy.log" 2>&1 || fail_start "mvn (S3Proxy jars)" "$CACHE_DIR/mvn-s3proxy.log"
  [[ -f $S3_LIB/s3proxy-$S3PROXY_VERSION.jar ]] || die "s3proxy-$S3PROXY_VERSION.jar missing after mvn"
  sha256sum <"$pom" >"$S3_LIB/.complete"
  log "S3Proxy jars fetched ($(elapsed "$t0") s)"
}

s3_config() {
  mkdir -p "$S3_DIR/blobs"
  cat >"$S3_DIR/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=$S3_BACKEND
jclouds.identity=local-identity
jclouds.credential=local-credential
jclouds.filesystem.basedir=$S3_DIR/blobs
EOF
  if [[ -n ${S3_SECURE_PORT:-} ]]; then
    tls_material "$S3_DIR/tls"
    [[ -f $S3_DIR/tls/keystore.p12 ]] ||
      openssl pkcs12 -export -in "$S3_DIR/tls/server.pem" -inkey "$S3_DIR/tls/server.key" -certfile "$S3_DIR/tls/ca.pem" \
        -name s3proxy -passout pass:logbook -out "$S3_DIR/tls/keystore.p12"
    cat >>"$S3_DIR/s3proxy.conf" <<EOF
s3proxy.secure-endpoint=https://127.0.0.1:$S3_SECURE_PORT
s3proxy.keystore-path=$S3_DIR/tls/keystore.p12
s3proxy.keystore-password=logbook
EOF
  fi
  cat >"$S3_DIR/logback.xml" <<'EOF'
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>[s3proxy] %-5level %d{HH:mm:ss.SSS} %logger{30} - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.eclipse.jetty" level="WARN"/>
  <logger name="org.gaul.shaded.org.eclipse.jetty" level="WARN"/>
  <logger name="org.jclouds" level="WARN"/>
  <root level="INFO">
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
EOF
}

s3_running() { pid_alive "$(read_pid "$S3_DIR/s3proxy.pid")" org.gaul.s3proxy.Main && port_open "$S3_PORT"; }

# Creates the bucket with curl's built-in SigV4 signer (no Node dependencies needed).
s3_create_bucket() {
  local code
  code=$(curl -s -o "$S3_DIR/create-bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$S3_PORT/$S3_BUCKET")
  case $code in
    200 | 409) ;;
    *) cat "$S3_DIR/create-bucket.out" >&2; die "creating bucket $S3_BUCKET failed with HTTP $code" ;;
  esac
}

S3_T0=
s3_start() {
  if s3_running; then log "s3proxy already running (pid $(read_pid "$S3_DIR/s3proxy.pid"), port $S3_PORT)"; return; fi
  s3_fetch
  port_open "$S3_PORT" && die "port $S3_PORT is in use by another process (set S3_PORT)"
  local -a heap
  read -r -a heap <<<"$S3PROXY_HEAP_OPTS"
  S3_T0=$(now)
  s3_config
  : >"$S3_DIR/s3proxy.log"
  rm -f "$S3_DIR/s3proxy.pid"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$S3_DIR/s3proxy.pid" \
    java "${heap[@]}" -XX:+UseSerialGC -Djava.awt.headless=true "-Dlogback.configurationFile=$S3_DIR/logback.xml" \
    -cp "$S3_LIB/*" org.gaul.s3proxy.Main --properties "$S3_DIR/s3proxy.conf" \
    >>"$S3_DIR/s3proxy.log" 2>&1 </dev/null 9>&- &
}

# Waits for a fresh S3Proxy, then (always) makes sure the bucket exists.
s3_wait() {
  if [[ -n $S3_T0 ]]; then
    local pid i code ready=
    for ((i = 0; i < START_TIMEOUT * 4; i++)); do
      pid=$(read_pid "$S3_DIR/s3proxy.pid")
      code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" || true)
      if [[ $code != 000 ]]; then ready=1; break; fi
      if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then fail_start s3proxy "$S3_DIR/s3proxy.log"; fi
      sleep 0.25
    done
    [[ -n $ready ]] || { log "s3proxy not ready after $START_TIMEOUT s"; fail_start s3proxy "$S3_DIR/s3proxy.log"; }
  fi
  s3_create_bucket
  [[ -z $S3_T0 ]] ||
    log "s3proxy $S3PROXY_VERSION ($S3_BACKEND) ready on 127.0.0.1:$S3_PORT (pid $pid, $(elapsed "$S3_T0") s)"
}

s3_down() {
  local pid
  pid=$(read_pid "$S3_DIR/s3proxy.pid")
  if pid_alive "$pid" org.gaul.s3proxy.Main; then
    stop_pid "$pid" 10
    log "s3proxy stopped"
  fi
  rm -f "$S3_DIR/s3proxy.pid"
}

# ---------------------------------------------------------------- commands

env_exports() {
  cat <<EOF
export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE
export KAFKA_BROKERS=$(kafka_brokers)
export S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export S3_ACCESS_KEY=$S3_ACCESS_KEY
export S3_SECRET_KEY=$S3_SECRET_KEY
export S3_REGION=$S3_REGION
export S3_BUCKET=$S3_BUCKET
EOF
}

# Serialises concurrent up/down calls. The lock file sits next to the infra dir so `down` can delete the dir.
# Long-lived children are started with 9>&- so they do not inherit (and hold) the lock.
take_lock() {
  mkdir -p "$(dirname "$INFRA_DIR")"
  exec 9>"$INFRA_DIR.lock"
  flock -w 300 9 || die "timed out waiting for $INFRA_DIR.lock"
}

cmd_up() {
  command -v java >/dev/null || die "java not found (Java 17+ is required)"
  command -v curl >/dev/null || die "curl not found"
  take_lock
  local t0
  t0=$(now)
  mkdir -p "$INFRA_DIR" "$CACHE_DIR"
  # The postgres user has to traverse the infra folder.
  chmod 755 "$INFRA_DIR"
  if wants postgres; then pg_up; fi
  if wants kafka; then kafka_start; fi
  if wants s3proxy; then s3_start; fi
  if wants kafka; then kafka_wait; fi
  if wants s3proxy; then s3_wait; fi
  env_exports >"$INFRA_DIR/env"
  log "all up ($(elapsed "$t0") s); exports (also in $INFRA_DIR/env):"
  env_exports
}

cmd_stop() {
  take_lock
  if wants s3proxy; then s3_down; fi
  if wants kafka; then kafka_down; fi
  if wants postgres; then pg_down; fi
}

cmd_down() {
  cmd_stop
  if wants postgres && wants kafka && wants s3proxy; then
    rm -rf "$INFRA_DIR"
    log "down; removed $INFRA_DIR (jar cache kept in $CACHE_DIR)"
    return
  fi
  if wants postgres; then rm -rf "$PG_DIR"; fi
  if wants kafka; then rm -rf "$KAFKA_DIR"; fi
  if wants s3proxy; then rm -rf "$S3_DIR"; fi
  log "down; removed the data of:$COMPONENTS"
}

cmd_status() {
  local all=0 pid
  if ! wants postgres; then
    :
  elif pg_running; then
    echo "postgres  running  pid $(pg_pid)  127.0.0.1:$PG_PORT"
  else
    echo "postgres  stopped"; all=3
  fi
  local node
  if wants kafka; then
    for node in $(kafka_nodes); do
      pid=$(read_pid "$(kafka_node_dir "$node")/kafka.pid")
      if kafka_node_running "$node"; then
        echo "kafka     running  pid $pid  127.0.0.1:$(kafka_client_port "$node")  rss $(rss_mib "$pid") MiB"
      else
        echo "kafka     stopped  broker $node"; all=3
      fi
    done
  fi
  pid=$(read_pid "$S3_DIR/s3proxy.pid")
  if ! wants s3proxy; then
    :
  elif s3_running; then
    echo "s3proxy   running  pid $pid  127.0.0.1:$S3_PORT  rss $(rss_mib "$pid") MiB"
  else
    echo "s3proxy   stopped"; all=3
  fi
  return "$all"
}

rss_mib() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo '?'; }

command=${1:-}
shift || true
while (($# > 0)); do
  case $1 in
    --brokers)
      [[ ${2:-} =~ ^[1-9][0-9]?$ ]] || die "--brokers takes a number of brokers (1 to 99)"
      KAFKA_BROKER_COUNT=$2
      shift 2
      ;;
    *) die "unknown option $1 (usage: $0 up [--brokers N]|stop|down|status|env)" ;;
  esac
done

case $command in
  up) cmd_up ;;
  stop) cmd_stop ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) env_exports ;;
  *) echo "usage: $0 up [--brokers N]|stop|down|status|env" >&2; exit 2 ;;
esac
