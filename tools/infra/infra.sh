#!/usr/bin/env bash
# Local Kafka (KRaft), ClickHouse, HBase (+ Thrift2 gateway) and Redis for development and tests, and the
# independent clients tests use (kcat, grpcurl, python grpcio) and zstd (dictionary training).
#
#   tools/infra/infra.sh up     [kafka|clickhouse|hbase|clickhouse-ha|redis|clients|kube ...]   install if needed, start, wait until healthy
#   tools/infra/infra.sh down   [service ...]                        stop (data is kept)
#   tools/infra/infra.sh status [service ...]                        health by a real client round trip
#   tools/infra/infra.sh clean                                       stop everything and delete all data
#
# Everything lives under $GS_INFRA_DIR (default: <repo>/.infra, git-ignored). Jars come from Maven Central
# (cached in ~/.m2 as well), servers from Debian packages. Every step is idempotent.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
INFRA="${GS_INFRA_DIR:-$REPO/.infra}"
MVN_DEP="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

KAFKA_PORT="${GS_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${GS_KAFKA_CONTROLLER_PORT:-9093}"
CH_HTTP_PORT="${GS_CLICKHOUSE_HTTP_PORT:-8123}"
CH_TCP_PORT="${GS_CLICKHOUSE_TCP_PORT:-9000}"
HBASE_ZK_PORT="${GS_HBASE_ZK_PORT:-2181}"
# Two ClickHouse replicas (ReplicatedMergeTree through HBase's ZooKeeper), for the HA pool's tests.
CH_HA_HTTP_PORTS=(${GS_CLICKHOUSE_HA_HTTP_PORTS:-8124 8125})
CH_HA_TCP_PORTS=(${GS_CLICKHOUSE_HA_TCP_PORTS:-9001 9002})
CH_HA_INTERSERVER_PORTS=(${GS_CLICKHOUSE_HA_INTERSERVER_PORTS:-9011 9012})
HBASE_THRIFT_PORT="${GS_HBASE_THRIFT_PORT:-9090}"
REDIS_PORT="${GS_REDIS_PORT:-6379}"
KUBE_VERSION="${GS_KUBE_VERSION:-v1.34.4}"
KUBE_PORT="${GS_KUBE_PORT:-6443}"
KUBE_ETCD_PORT="${GS_KUBE_ETCD_PORT:-2379}"
KUBE_ETCD_PEER_PORT="${GS_KUBE_ETCD_PEER_PORT:-2380}"

ALL_SERVICES=(kafka clickhouse hbase clickhouse-ha redis clients kube)
GRPCURL_VERSION="${GS_GRPCURL_VERSION:-1.9.3}"
GRPCIO_VERSION="${GS_GRPCIO_VERSION:-1.76.0}"
BIN="$INFRA/bin"

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }

# --- helpers -------------------------------------------------------------------------------------------

# pid_alive <pidfile>: the recorded process runs and is still the one started (after a reboot the
# number may belong to another process: its command line must name what the pidfile is for).
pid_alive() {
  [ -f "$1" ] || return 1
  local pid; pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  local want
  case "$(basename "$1" .pid)" in
    kafka) want=kafka.Kafka ;; clickhouse) want=clickhouse ;; master) want=HMaster ;; etcd) want=etcd ;; apiserver) want=kube-apiserver ;; thrift) want=ThriftServer ;; *) want= ;;
  esac
  [ -z "$want" ] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$want"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until <seconds> <description> <log file> <command...>
wait_until() {
  local secs="$1" what="$2" logf="$3"; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$what did not become healthy within ${secs}s; last lines of $logf:"
      tail -n 40 "$logf" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

render() { # render <template> <out> KEY=VALUE...
  local tpl="$1" out="$2"; shift 2
  local content; content="$(cat "$tpl")"
  local kv
  for kv in "$@"; do content="${content//@${kv%%=*}@/${kv#*=}}"; done
  printf '%s\n' "$content" >"$out"
}

stop_pidfile() { # stop_pidfile <pidfile> <name>
  local pf="$1" name="$2"
  if pid_alive "$pf"; then
    local pid; pid="$(cat "$pf")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    log "$name stopped"
  fi
  rm -f "$pf"
}

need_debs() { # need_debs <binary> <package...>: install from Debian when the binary is missing
  local bin="$1"; shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  [ -x "$bin" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    }
  else
    # Without root: unpack the packages (and their library dependencies) under the infra folder.
    local root="$INFRA/debs"
    mkdir -p "$root/download"
    ( cd "$root/download" && apt-get download "$@" $(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances "$@" | grep '^\w' | sort -u) >/dev/null 2>&1 ) || true
    for deb in "$root"/download/*.deb; do dpkg -x "$deb" "$root/root"; done
    export PATH="$root/root/usr/bin:$root/root/usr/sbin:$PATH"
    export LD_LIBRARY_PATH="$root/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  fi
}

need_java() { # a JDK 17 and Maven for the Kafka and HBase servers (from Debian when missing)
  need_debs java openjdk-17-jdk-headless
  need_debs mvn maven
}

java_libs() { # java_libs <name>: copy the runtime jars of tools/infra/<name>/pom.xml once
  local name="$1" dir="$INFRA/$1/libs" pom="$HERE/$1/pom.xml"
  local stamp="$dir/.pom.sha"
  local sha; sha="$(sha256sum "$pom" | cut -d' ' -f1)"
  need_java
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ]; then return 0; fi
  command -v mvn >/dev/null || die "Maven is required to fetch $name jars (apt-get install maven)"
  log "resolving $name jars from Maven Central"
  rm -rf "$dir"; mkdir -p "$dir"
  mvn -B -q -Dstyle.color=never -f "$pom" "$MVN_DEP:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$dir" >"$INFRA/$name-mvn.log" 2>&1 \
    || { tail -n 30 "$INFRA/$name-mvn.log" >&2; die "could not resolve $name jars"; }
  echo "$sha" >"$stamp"
}

# --- Kafka -----------------------------------------------------------------------------------------------

kafka_dir() { echo "$INFRA/kafka"; }
kafka_health() { node "$HERE/probe.js" kafka "127.0.0.1:$KAFKA_PORT"; }

kafka_up() {
  local d; d="$(kafka_dir)"
  if kafka_health >/dev/null 2>&1; then log "kafka already up on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  java_libs kafka
  mkdir -p "$d/data" "$d/logs"
  render "$HERE/kafka/server.properties.tpl" "$d/server.properties" \
    PORT="$KAFKA_PORT" CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" DATA="$d/data"
  if [ ! -f "$d/data/meta.properties" ]; then
    java -cp "$d/libs/*" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" -Dkafka.logs.dir="$d/logs" \
      kafka.tools.StorageTool format -t "R3JpZHN0YXRpb25LYWZrYQ" -c "$d/server.properties" --ignore-formatted >/dev/null
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" -Dkafka.logs.dir="$d/logs" \
    -cp "$d/libs/*" kafka.Kafka "$d/server.properties" >"$d/logs/stdout.log" 2>&1 &
  echo $! >"$d/kafka.pid"
  wait_until 120 kafka "$d/logs/server.log" kafka_health
}
kafka_down() { stop_pidfile "$(kafka_dir)/kafka.pid" kafka; }

# --- ClickHouse ------------------------------------------------------------------------------------------

ch_dir() { echo "$INFRA/clickhouse"; }
ch_bin() { command -v clickhouse-server || echo /usr/sbin/clickhouse-server; }
ch_health() { curl -fsS --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary 'SELECT version()'; }

clickhouse_up() {
  local d; d="$(ch_dir)"
  if ch_health >/dev/null 2>&1; then log "clickhouse already up on 127.0.0.1:$CH_HTTP_PORT"; return 0; fi
  need_debs curl curl
  need_debs /usr/sbin/clickhouse-server clickhouse-server clickhouse-client
  mkdir -p "$d/data" "$d/tmp" "$d/log" "$d/user_files" "$d/format_schemas"
  render "$HERE/clickhouse/config.xml.tpl" "$d/config.xml" DIR="$d" HTTP_PORT="$CH_HTTP_PORT" TCP_PORT="$CH_TCP_PORT"
  cp "$HERE/clickhouse/users.xml" "$d/users.xml"
  log "starting clickhouse on 127.0.0.1:$CH_HTTP_PORT (http) / $CH_TCP_PORT (native)"
  nohup "$(ch_bin)" --config-file="$d/config.xml" --pid-file="$d/clickhouse.pid.server" >"$d/log/stdout.log" 2>&1 &
  echo $! >"$d/clickhouse.pid"
  wait_until 90 clickhouse "$d/log/server.err.log" ch_health
}
clickhouse_down() { stop_pidfile "$(ch_dir)/clickhouse.pid" clickhouse; rm -f "$(ch_dir)/clickhouse.pid.server"; }

# Replicas r1, r2: their own data folders and ports; replication needs ZooKeeper (hbase up first).
ch_replica_dir() { echo "$INFRA/clickhouse-r$1"; }
ch_replica_health() { curl -fsS --max-time 2 "http://127.0.0.1:${CH_HA_HTTP_PORTS[$1 - 1]}/" --data-binary "SELECT count() FROM system.zookeeper WHERE path = '/'"; }
clickhouse_ha_health() { ch_replica_health 1 && ch_replica_health 2; }
clickhouse_ha_up() {
  port_open "$HBASE_ZK_PORT" || hbase_up
  need_debs curl curl
  need_debs /usr/sbin/clickhouse-server clickhouse-server clickhouse-client
  local n d
  for n in 1 2; do
    if ch_replica_health "$n" >/dev/null 2>&1; then log "clickhouse replica r$n already up on 127.0.0.1:${CH_HA_HTTP_PORTS[$n - 1]}"; continue; fi
    d="$(ch_replica_dir "$n")"
    mkdir -p "$d/data" "$d/tmp" "$d/log" "$d/user_files" "$d/format_schemas"
    render "$HERE/clickhouse/replica.xml.tpl" "$d/config.xml" DIR="$d" HTTP_PORT="${CH_HA_HTTP_PORTS[$n - 1]}" TCP_PORT="${CH_HA_TCP_PORTS[$n - 1]}" \
      INTERSERVER_PORT="${CH_HA_INTERSERVER_PORTS[$n - 1]}" ZK_PORT="$HBASE_ZK_PORT" REPLICA="r$n"
    cp "$HERE/clickhouse/users.xml" "$d/users.xml"
    log "starting clickhouse replica r$n on 127.0.0.1:${CH_HA_HTTP_PORTS[$n - 1]} (http) / ${CH_HA_TCP_PORTS[$n - 1]} (native)"
    nohup "$(ch_bin)" --config-file="$d/config.xml" --pid-file="$d/clickhouse.pid.server" >"$d/log/stdout.log" 2>&1 &
    echo $! >"$d/clickhouse-r$n.pid"
  done
  for n in 1 2; do wait_until 90 "clickhouse replica r$n" "$(ch_replica_dir "$n")/log/server.err.log" ch_replica_health "$n"; done
}
clickhouse_ha_down() {
  local n
  for n in 1 2; do stop_pidfile "$(ch_replica_dir "$n")/clickhouse-r$n.pid" "clickhouse replica r$n"; rm -f "$(ch_replica_dir "$n")/clickhouse.pid.server"; done
}

# --- HBase -----------------------------------------------------------------------------------------------

hbase_dir() { echo "$INFRA/hbase"; }
HBASE_JDK17=(-Dorg.apache.hbase.thirdparty.io.netty.tryReflectionSetAccessible=true --add-modules jdk.unsupported
  --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-exports java.base/sun.net.dns=ALL-UNNAMED --add-exports java.base/sun.net.util=ALL-UNNAMED)

hbase_java() { # hbase_java <heap> <log file name> <args...>; call it in a subshell: it replaces the process
  local d heap="$1" logfile="$2"; shift 2; d="$(hbase_dir)"
  trap '' HUP
  exec java "-Xmx$heap" -XX:+UseG1GC "${HBASE_JDK17[@]}" -Dzookeeper.admin.enableServer=false \
    -Dlog4j2.configurationFile="file:$HERE/hbase/log4j2.properties" -Dhbase.log.dir="$d/logs" -Dhbase.log.file="$logfile" \
    -cp "$d/conf:$d/libs/*" "$@"
}

# Runs the admin helper (split, move, regions, probe); used by tests too.
# The admin client needs the HBase jars even when the server was started by another checkout.
hbase_admin() { java_libs hbase >&2; ( hbase_java 256m admin.log "$HERE/hbase/HBaseAdmin.java" "$@" ); }
hbase_health() { node "$HERE/probe.js" hbase "127.0.0.1:$HBASE_THRIFT_PORT"; }
hbase_master_health() { hbase_admin probe; }

hbase_up() {
  local d; d="$(hbase_dir)"
  if hbase_health >/dev/null 2>&1; then log "hbase already up on 127.0.0.1:$HBASE_THRIFT_PORT"; return 0; fi
  java_libs hbase
  mkdir -p "$d/conf" "$d/logs" "$d/root" "$d/tmp" "$d/zk"
  render "$HERE/hbase/hbase-site.xml.tpl" "$d/conf/hbase-site.xml" DIR="$d" ZK_PORT="$HBASE_ZK_PORT" THRIFT_PORT="$HBASE_THRIFT_PORT"
  if ! pid_alive "$d/master.pid"; then
    log "starting hbase standalone (master + region server + zookeeper :$HBASE_ZK_PORT)"
    ( hbase_java 1g master.log org.apache.hadoop.hbase.master.HMaster start ) >"$d/logs/master.stdout" 2>&1 &
    echo $! >"$d/master.pid"
    wait_until 180 "hbase master" "$d/logs/master.log" hbase_master_health
  fi
  if ! pid_alive "$d/thrift.pid"; then
    log "starting hbase thrift2 gateway on 127.0.0.1:$HBASE_THRIFT_PORT"
    ( hbase_java 512m thrift.log org.apache.hadoop.hbase.thrift2.ThriftServer -b 127.0.0.1 -p "$HBASE_THRIFT_PORT" -c start ) \
      >"$d/logs/thrift.stdout" 2>&1 &
    echo $! >"$d/thrift.pid"
  fi
  wait_until 120 "hbase thrift2" "$d/logs/thrift.log" hbase_health
}
hbase_down() { stop_pidfile "$(hbase_dir)/thrift.pid" "hbase thrift2"; stop_pidfile "$(hbase_dir)/master.pid" "hbase master"; }

# --- Redis -----------------------------------------------------------------------------------------------

redis_dir() { echo "$INFRA/redis"; }
redis_health() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_up() {
  local d; d="$(redis_dir)"
  if redis_health; then log "redis already up on 127.0.0.1:$REDIS_PORT"; return 0; fi
  need_debs redis-server redis-server redis-tools
  mkdir -p "$d"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$d/redis.pid" --logfile "$d/redis.log" --dir "$d"
  wait_until 30 redis "$d/redis.log" redis_health
}
redis_down() {
  if redis_health; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; log "redis stopped"; fi
  rm -f "$(redis_dir)/redis.pid"
}

# --- Kubernetes API (kube-apiserver + etcd, no kubelet: Pods are stored, never run) ------------------------
# kube-apiserver and kubectl are built from the k8s.io/kubernetes source on the Go module proxy (staging
# modules published as v0.<minor>.<patch>) and cached under $BIN/kube-<version>; etcd is Debian's
# etcd-server. Credentials: a static token (system:masters) written to $INFRA/kube/kubeconfig.

kube_dir() { echo "$INFRA/kube"; }
kube_bin() { echo "$BIN/kube-$KUBE_VERSION"; }
kubectl_bin() { echo "$(kube_bin)/kubectl"; }
kube_ctl() { "$(kubectl_bin)" --kubeconfig "$(kube_dir)/kubeconfig" "$@"; }
kube_health() { kube_ctl get --raw /readyz >/dev/null 2>&1 && kube_ctl get namespace default -o name 2>/dev/null; }

kube_build() {
  local out; out="$(kube_bin)"
  [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ] && return 0
  need_debs go golang-go
  log "building kube-apiserver and kubectl $KUBE_VERSION from the Go module proxy (cold: about 7-9 min)"
  local src="$INFRA/kube-src-$KUBE_VERSION" blog="$INFRA/kube-build.log"
  if [ ! -f "$src/.prepared" ]; then
    local moddir
    moddir="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
    [ -d "$moddir" ] || die "could not download k8s.io/kubernetes@$KUBE_VERSION"
    rm -rf "$src"; cp -r "$moddir" "$src"; chmod -R u+w "$src"
    rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
    local staging="v0.${KUBE_VERSION#v1.}" m
    # Drop the ./staging replaces; pin to the published staging release only the modules go.mod requires at v0.0.0.
    for m in $(cd "$src" && go mod edit -json | python3 -c 'import json,sys; print(" ".join(r["Old"]["Path"] for r in json.load(sys.stdin).get("Replace") or [] if r["New"]["Path"].startswith("./staging")))'); do
      (cd "$src" && go mod edit -dropreplace="$m")
    done
    for m in $(cd "$src" && go mod edit -json | python3 -c 'import json,sys; print(" ".join(r["Path"] for r in json.load(sys.stdin)["Require"] if r["Version"]=="v0.0.0"))'); do
      (cd "$src" && go mod edit -require="$m@$staging")
    done
    touch "$src/.prepared"
  fi
  local pkg="k8s.io/component-base/version" cgo="k8s.io/client-go/pkg/version" major="1" minor
  minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  local ld="-s -w"
  for p in "$pkg" "$cgo"; do ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"; done
  mkdir -p "$out"
  ( cd "$src" && GOMAXPROCS=2 GOFLAGS=-mod=mod go build -p 2 -ldflags "$ld" -o "$out/kube-apiserver" ./cmd/kube-apiserver \
      && GOMAXPROCS=2 GOFLAGS=-mod=mod go build -p 2 -ldflags "$ld" -o "$out/kubectl" ./cmd/kubectl ) >"$blog" 2>&1 \
    || { tail -n 30 "$blog" >&2; die "could not build kube-apiserver $KUBE_VERSION"; }
  log "kube binaries cached in $out"
}

# need_service_debs <binary> <package...>: Debian packages that ship a system service (etcd, prometheus),
# installed without starting it (a policy-rc.d that refuses) : tests start their own instances.
need_service_debs() {
  local bin="$1"; shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "$bin is missing: apt-get install $* (needs root)"
  log "installing Debian packages: $* (not started as system services)"
  local had_policy=0; [ -f /usr/sbin/policy-rc.d ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
  [ "$had_policy" = 1 ] || rm -f /usr/sbin/policy-rc.d
  command -v "$bin" >/dev/null 2>&1 || die "$* did not install $bin"
}

need_etcd() { need_service_debs etcd etcd-server; }

kube_up() {
  local d; d="$(kube_dir)"
  if [ -f "$d/kubeconfig" ] && [ -x "$(kubectl_bin)" ] && kube_health >/dev/null 2>&1; then log "kube-apiserver already up on https://127.0.0.1:$KUBE_PORT"; return 0; fi
  kube_build
  need_etcd
  mkdir -p "$d/etcd" "$d/certs" "$d/logs"
  if ! pid_alive "$d/etcd.pid"; then
    log "starting etcd on 127.0.0.1:$KUBE_ETCD_PORT"
    nohup etcd --data-dir "$d/etcd" --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
      --initial-cluster "default=http://127.0.0.1:$KUBE_ETCD_PEER_PORT" --quota-backend-bytes 2147483648 >"$d/logs/etcd.log" 2>&1 &
    echo $! >"$d/etcd.pid"
    wait_until 30 etcd "$d/logs/etcd.log" curl -fsS --max-time 2 "http://127.0.0.1:$KUBE_ETCD_PORT/health"
  fi
  [ -f "$d/sa.key" ] || openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  [ -f "$d/token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/token"
  printf '%s,admin,admin-uid,system:masters\n' "$(cat "$d/token")" >"$d/tokens.csv"
  if ! pid_alive "$d/apiserver.pid"; then
    log "starting kube-apiserver $KUBE_VERSION on https://127.0.0.1:$KUBE_PORT"
    nohup "$(kube_bin)/kube-apiserver" --etcd-servers "http://127.0.0.1:$KUBE_ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
      --secure-port "$KUBE_PORT" --cert-dir "$d/certs" --token-auth-file "$d/tokens.csv" --authorization-mode RBAC \
      --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$d/sa.key" \
      --service-account-signing-key-file "$d/sa.key" --service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \
      --disable-admission-plugins ServiceAccount >"$d/logs/apiserver.log" 2>&1 &
    echo $! >"$d/apiserver.pid"
  fi
  cat >"$d/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $(cat "$d/token")
contexts:
- name: local
  context: { cluster: local, user: admin, namespace: default }
current-context: local
KUBECONFIG
  wait_until 60 kube-apiserver "$d/logs/apiserver.log" kube_health
}
kube_down() { stop_pidfile "$(kube_dir)/apiserver.pid" kube-apiserver; stop_pidfile "$(kube_dir)/etcd.pid" etcd; }

# --- independent clients the tests drive the station with ----------------------------------------------
# kcat (a Kafka client that is not kafkajs) from Debian; grpcurl (a reflection-based gRPC client, as other
# grid systems' engineers use) built from the Go module proxy into $INFRA/bin, keyed by version; python
# grpcio + grpcio-tools from PyPI in a virtualenv ($BIN/python-grpc-<version>, python stubs made from proto/).

grpcurl_bin() { echo "$BIN/grpcurl-$GRPCURL_VERSION/grpcurl"; }
grpc_python() { echo "$BIN/python-grpc-$GRPCIO_VERSION/bin/python"; }
clients_health() { command -v kcat >/dev/null && command -v zstd >/dev/null && command -v promtool >/dev/null && command -v chromium >/dev/null && "$(grpcurl_bin)" -version >/dev/null 2>&1 && "$(grpc_python)" -c 'import grpc, grpc_tools' >/dev/null 2>&1; }

clients_up() {
  need_debs kcat kcat
  need_debs zstd zstd # trains the edge agents' compression dictionaries (zstd --train)
  need_service_debs promtool prometheus # promtool checks the alert rules; tests run their own Prometheus
  need_service_debs chromium chromium   # the console's browser tests (puppeteer-core drives it)
  if [ ! -x "$(grpcurl_bin)" ]; then
    need_debs go golang-go
    log "building grpcurl $GRPCURL_VERSION from the Go module proxy"
    mkdir -p "$BIN/grpcurl-$GRPCURL_VERSION"
    GOBIN="$BIN/grpcurl-$GRPCURL_VERSION" GOFLAGS=-mod=mod go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@v$GRPCURL_VERSION" >"$INFRA/grpcurl-build.log" 2>&1 \
      || { tail -n 20 "$INFRA/grpcurl-build.log" >&2; die "could not build grpcurl"; }
  fi
  ln -sf "$(grpcurl_bin)" "$BIN/grpcurl"
  if ! "$(grpc_python)" -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
    command -v python3 >/dev/null || need_debs python3 python3
    python3 -m venv --help >/dev/null 2>&1 || need_debs python3-venv python3-venv
    log "installing python grpcio $GRPCIO_VERSION from PyPI"
    rm -rf "$BIN/python-grpc-$GRPCIO_VERSION"
    python3 -m venv "$BIN/python-grpc-$GRPCIO_VERSION"
    "$(grpc_python)" -m pip install -q "grpcio==$GRPCIO_VERSION" "grpcio-tools==$GRPCIO_VERSION" >"$INFRA/grpcio-install.log" 2>&1 \
      || { tail -n 20 "$INFRA/grpcio-install.log" >&2; die "could not install grpcio"; }
  fi
  # A wrapper, not a symlink: a virtualenv's python finds its packages only when run from its own directory.
  rm -f "$BIN/python-grpc"
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$(grpc_python)" >"$BIN/python-grpc"
  chmod +x "$BIN/python-grpc"
  clients_health || die "kcat, zstd, promtool, chromium, grpcurl or python grpcio does not run"
}
clients_down() { :; }

# --- commands --------------------------------------------------------------------------------------------

status_one() {
  local s="$1" out=""
  case "$s" in
    kafka) out="$(kafka_health 2>&1)" ;;
    clickhouse) out="ClickHouse $(ch_health 2>&1)" ;;
    clickhouse-ha) clickhouse_ha_health >/dev/null 2>&1 && out="replicas r1 127.0.0.1:${CH_HA_HTTP_PORTS[0]}, r2 127.0.0.1:${CH_HA_HTTP_PORTS[1]} (ZooKeeper :$HBASE_ZK_PORT)" ;;
    hbase) out="$(hbase_health 2>&1)" ;;
    clients) clients_health && out="kcat $(kcat -V 2>/dev/null | head -n 1 | awk '{print $2}'), zstd $(zstd -V 2>/dev/null | grep -o 'v[0-9.]*' | head -n 1), grpcurl $GRPCURL_VERSION, python grpcio $GRPCIO_VERSION in $BIN, prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{print $3}'), $(chromium --version 2>/dev/null | head -n 1)" ;;
    kube) out="$(kube_health 2>&1)" && out="kube-apiserver $KUBE_VERSION https://127.0.0.1:$KUBE_PORT (etcd :$KUBE_ETCD_PORT, kubeconfig $(kube_dir)/kubeconfig)" ;;
    redis) out="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | grep -E '^redis_version' | tr -d '\r')" ; redis_health || out="" ;;
    *) die "unknown service $s" ;;
  esac
  local rc=$?
  if [ -n "$out" ] && [ $rc = 0 ]; then printf '%-11s up    %s\n' "$s" "$(echo "$out" | tr '\n' ' ')"; return 0; fi
  printf '%-11s down\n' "$s"; return 1
}

cmd="${1:-status}"; shift || true
services=("$@"); [ ${#services[@]} -eq 0 ] && services=("${ALL_SERVICES[@]}")
mkdir -p "$INFRA"

case "$cmd" in
  up)
    command -v node >/dev/null || die "node is required for health probes"
    [ -d "$REPO/node_modules/kafkajs" ] || die "run npm ci first: the health probes use the project's clients"
    for s in "${services[@]}"; do
      t0=$(now_ms)
      "${s//-/_}_up"
      log "$s healthy after $(( $(now_ms) - t0 )) ms"
    done ;;
  down) for s in "${services[@]}"; do "${s//-/_}_down"; done ;;
  status) rc=0; for s in "${services[@]}"; do status_one "$s" || rc=1; done; exit $rc ;;
  clean) for s in "${ALL_SERVICES[@]}"; do "${s//-/_}_down"; done
         for s in kafka clickhouse hbase redis; do rm -rf "${INFRA:?}/$s/data" "${INFRA:?}/$s/root" "${INFRA:?}/$s/zk" "${INFRA:?}/$s/tmp"; done
         rm -rf "${INFRA:?}/kube/etcd" "${INFRA:?}/clickhouse" "${INFRA:?}/clickhouse-r1" "${INFRA:?}/clickhouse-r2" "${INFRA:?}/redis"; log "data removed (jars kept)" ;;
  hbase-admin) hbase_admin "$@" ;;
  *) die "usage: infra.sh up|down|status|clean [kafka|clickhouse|hbase|clickhouse-ha|redis|clients|kube ...] | hbase-admin <args>" ;;
esac
