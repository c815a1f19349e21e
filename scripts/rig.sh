#!/usr/bin/env bash
# The real-engine rig: the Pulumi CLI, its Node.js language host, the provider plugins and a Kubernetes control
# plane, all built here from Go module sources (pinned), and run on loopback. `npm run rig -- <verb>`:
#
#   build    build everything into $RIG_CACHE (cold: tens of minutes on 2 cores; warm: seconds), and assemble
#            cert-manager's chart for the `certManagerChart` key ($RIG_CACHE/charts/cert-manager-<version>)
#   up       start etcd, kube-apiserver and kube-controller-manager on free loopback ports, with certificates
#            made for this run and an admin kubeconfig (idempotent: a running, healthy rig is left as it is)
#   down     stop every process `up` started and delete the run folder (state backend included)
#   env      print `export NAME=value` lines for plain `pulumi` and `kubectl` commands in the project folder:
#              eval "$(npm run -s rig -- env)"
#   status   say whether the rig is up, and where
#
# RIG_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig) holds the built binaries and
# PULUMI_HOME (with the plugins); RIG_RUN (default ${TMPDIR:-/tmp}/rabbitmq-platform-rig-<tag of this checkout>)
# holds what one `up` made: certificates, etcd's data, logs, pids, the kubeconfig and the file state backend.
# PULUMI_CONFIG_PASSPHRASE in `env` is a fixed test passphrase for the rig's throwaway backend, nothing else.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RIG_CACHE=${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig}
TAG=$(printf %s "$ROOT" | cksum | cut -d' ' -f1)
RIG_RUN=${RIG_RUN:-${TMPDIR:-/tmp}/rabbitmq-platform-rig-${TAG: -6}}
export RIG_CACHE

log() { printf '[rig %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

modver() { awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$1" | head -n1; }
PULUMI_VERSION=$(node -p 'require(process.argv[1]).packages["node_modules/@pulumi/pulumi"].version' "$ROOT/package-lock.json")
KUBE_VERSION=$(modver "$ROOT/rig/kube/go.mod" k8s.io/kubernetes)
ETCD_VERSION=$(modver "$ROOT/rig/etcd/go.mod" go.etcd.io/etcd/server/v3)
PULUMI_BIN=$RIG_CACHE/pulumi-$PULUMI_VERSION/bin
KUBE_BIN=$RIG_CACHE/kube-$KUBE_VERSION/bin
ETCD_BIN=$RIG_CACHE/etcd-$ETCD_VERSION/bin
PULUMI_HOME_DIR=$RIG_CACHE/pulumi-home
# The service range only names virtual addresses; nothing listens on them in this rig.
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pid_alive() { [ -f "$RIG_RUN/$1.pid" ] && kill -0 "$(cat "$RIG_RUN/$1.pid")" 2>/dev/null; }

apiserver_healthy() {
    [ -f "$RIG_RUN/kubeconfig" ] && pid_alive kube-apiserver &&
        "$KUBE_BIN/kubectl" --kubeconfig "$RIG_RUN/kubeconfig" get --raw /readyz >/dev/null 2>&1
}

# start NAME CMD...: runs CMD in its own session (so `down` can end its whole process group), logging to
# $RIG_RUN/NAME.log, and records its pid.
start() {
    local name=$1
    shift
    setsid "$@" >"$RIG_RUN/$name.log" 2>&1 </dev/null &
    echo $! >"$RIG_RUN/$name.pid"
}

wait_for() {
    local what=$1 seconds=$2 log=$3
    shift 3
    for _ in $(seq 1 $((seconds * 4))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    tail -n 30 "$log" >&2 || true
    die "$what did not become ready within ${seconds}s (log: $log)"
}

cmd_build() {
    local started
    started=$(date +%s)
    bash "$ROOT/scripts/rig/build-pulumi.sh"
    bash "$ROOT/scripts/rig/build-providers.sh"
    bash "$ROOT/scripts/rig/build-kube.sh"
    bash "$ROOT/scripts/rig/build-charts.sh"
    log "built in $(($(date +%s) - started)) s; cache: $(du -sh "$RIG_CACHE" | cut -f1) in $RIG_CACHE"
}

need_built() {
    local missing=()
    for bin in "$PULUMI_BIN/pulumi" "$PULUMI_BIN/pulumi-language-nodejs" "$KUBE_BIN/kube-apiserver" \
        "$KUBE_BIN/kube-controller-manager" "$KUBE_BIN/kubectl" "$ETCD_BIN/etcd"; do
        [ -x "$bin" ] || missing+=("$bin")
    done
    [ ${#missing[@]} = 0 ] || die "not built: ${missing[*]}; run: npm run rig -- build"
}

make_certs() {
    local dir=$RIG_RUN/pki
    mkdir -p "$dir"
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=rig-ca 2>/dev/null
        issue() { # issue NAME SUBJECT EXTENSIONS
            openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
            openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out "$1.crt" \
                -extfile <(printf '%b' "$3") 2>/dev/null
            rm "$1.csr"
        }
        issue apiserver /CN=kube-apiserver \
            "subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth"
        issue admin "/O=system:masters/CN=rig-admin" "extendedKeyUsage=clientAuth"
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    )
}

write_kubeconfig() {
    local file=$1 server=$2 user=$3
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rig
  cluster:
    server: $server
    certificate-authority: $RIG_RUN/pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $RIG_RUN/pki/admin.crt
    client-key: $RIG_RUN/pki/admin.key
contexts:
- name: rig
  context:
    cluster: rig
    user: $user
current-context: rig
EOF
}

cmd_up() {
    need_built
    if apiserver_healthy && pid_alive kube-controller-manager; then
        log "already up: $(cat "$RIG_RUN/server")"
        return 0
    fi
    cmd_down quiet
    mkdir -p "$RIG_RUN/backend"
    make_certs
    local etcd_port etcd_peer api_port kcm_port
    etcd_port=$(free_port)
    etcd_peer=$(free_port)
    api_port=$(free_port)
    kcm_port=$(free_port)

    start etcd "$ETCD_BIN/etcd" --name rig --data-dir "$RIG_RUN/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
        --initial-cluster "rig=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --quota-backend-bytes 4294967296
    wait_for etcd 30 "$RIG_RUN/etcd.log" curl -fsS "http://127.0.0.1:$etcd_port/health"

    start kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
        --cert-dir "$RIG_RUN/pki" --tls-cert-file "$RIG_RUN/pki/apiserver.crt" \
        --tls-private-key-file "$RIG_RUN/pki/apiserver.key" --client-ca-file "$RIG_RUN/pki/ca.crt" \
        --service-account-key-file "$RIG_RUN/pki/sa.pub" --service-account-signing-key-file "$RIG_RUN/pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --allow-privileged=true
    write_kubeconfig "$RIG_RUN/kubeconfig" "https://127.0.0.1:$api_port" rig-admin
    wait_for kube-apiserver 90 "$RIG_RUN/kube-apiserver.log" \
        "$KUBE_BIN/kubectl" --kubeconfig "$RIG_RUN/kubeconfig" get --raw /readyz

    # The controller manager's garbage collector and namespace controller finish what Pulumi deletes: the
    # kubernetes provider deletes with foreground propagation, and a namespace is only gone once emptied.
    start kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig "$RIG_RUN/kubeconfig" \
        --authentication-kubeconfig "$RIG_RUN/kubeconfig" --authorization-kubeconfig "$RIG_RUN/kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$kcm_port" --leader-elect=false \
        --service-account-private-key-file "$RIG_RUN/pki/sa.key" --root-ca-file "$RIG_RUN/pki/ca.crt" \
        --use-service-account-credentials=false --service-cluster-ip-range "$SERVICE_CIDR"
    wait_for kube-controller-manager 60 "$RIG_RUN/kube-controller-manager.log" \
        curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
    echo "https://127.0.0.1:$api_port" >"$RIG_RUN/server"
    log "up: kube-apiserver $KUBE_VERSION at https://127.0.0.1:$api_port, etcd $ETCD_VERSION; run folder $RIG_RUN"
}

cmd_down() {
    local quiet=${1:-}
    if [ -d "$RIG_RUN" ]; then
        for name in kube-controller-manager kube-apiserver etcd; do
            if pid_alive "$name"; then
                local pid
                pid=$(cat "$RIG_RUN/$name.pid")
                kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
                for _ in $(seq 1 40); do
                    kill -0 "$pid" 2>/dev/null || break
                    sleep 0.25
                done
                kill -KILL -- "-$pid" 2>/dev/null || true
            fi
        done
        rm -rf "$RIG_RUN"
    fi
    [ -n "$quiet" ] || log "down"
}

cmd_env() {
    # Quoted for the shell that evaluates these lines.
    q() { printf "%q" "$1"; }
    echo "export PATH=$(q "$PULUMI_BIN:$KUBE_BIN:$PATH")"
    echo "export PULUMI_HOME=$(q "$PULUMI_HOME_DIR")"
    echo "export PULUMI_BACKEND_URL=$(q "file://$RIG_RUN/backend")"
    echo "export KUBECONFIG=$(q "$RIG_RUN/kubeconfig")"
    echo "export PULUMI_CONFIG_PASSPHRASE=rig-test-passphrase"
    echo "export PULUMI_SKIP_UPDATE_CHECK=true"
    echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
    echo "export PULUMI_IGNORE_AMBIENT_PLUGINS=true"
    echo "export PULUMI_RIG_RUN=$(q "$RIG_RUN")"
}

cmd_status() {
    if apiserver_healthy; then
        echo "up: $(cat "$RIG_RUN/server") (run folder $RIG_RUN)"
    else
        echo "down"
        return 1
    fi
}

verb=${1:-}
[ $# -gt 0 ] && shift
case $verb in
    build) cmd_build "$@" ;;
    up) cmd_up ;;
    down) cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    *)
        sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
        [ -z "$verb" ] || die "unknown verb: $verb (build, up, down, env or status)"
        exit 2
        ;;
esac
