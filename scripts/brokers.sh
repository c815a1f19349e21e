#!/usr/bin/env bash
# Throwaway RabbitMQ brokers on loopback for the broker test suite and for trying `npm run verify` locally.
#
#   scripts/brokers.sh install [all|310|40]       install RabbitMQ 3.10 (apt) and/or the 4.0 chroot (debootstrap)
#   scripts/brokers.sh start [BROKER...]          start brokers (default: all five)
#   scripts/brokers.sh stop                       stop every node this script started, unmount the chroot's /proc
#   scripts/brokers.sh restart-node BROKER N      start node N of BROKER again (after a test killed or stopped it)
#   scripts/brokers.sh stop-node BROKER N         stop node N of BROKER (SIGTERM: a clean shutdown), keep its data
#   scripts/brokers.sh cli BROKER N TOOL ARGS...  run a RabbitMQ CLI tool (rabbitmqctl, rabbitmq-queues, ...) against
#                                                 node N of BROKER, with the node's HOME and env (in the chroot for 4.0)
#   scripts/brokers.sh status                     list the env files of running brokers
#   scripts/brokers.sh run [BROKER...] -- CMD...  install, start, run CMD, always stop (also on failure or signal);
#                                                 exits with CMD's status
#
# Brokers: single310 (one 3.10 node), cluster310 (three 3.10 nodes), single40 (one 4.0 node in a Debian 13 chroot),
# cluster40 (five 4.0 nodes in the chroot: room for quorum queues to grow from the default 3 members to 5),
# cluster40small (three 4.0 nodes: the runbook's majority-loss and rolling-restart procedures, like cluster310).
# 4.0 nodes get the membership reconciliation lines the RabbitmqCluster renders, from the compiled
# lib/clusterSpec.ts (run npm run build first), so the suite tests the production settings.
# Each running broker has an env file $BROKERS_RUN/<broker>.env (RABBITMQ_MGMT_URL, RABBITMQ_AMQP_URL,
# RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD, BROKER_NODE_<n>_* ...), read by test/broker/support/brokers.ts.
# Needs root (apt-get, debootstrap, chroot, mount). Ports are picked free on 127.0.0.1.
#
# Env: BROKERS_DIR (default <repo>/.brokers, gitignored), BROKERS_CACHE (where the chroot lives, default
# $BROKERS_DIR/cache; point it somewhere persistent to reuse the chroot across clones).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
BROKERS_DIR=${BROKERS_DIR:-$repo/.brokers}
BROKERS_CACHE=${BROKERS_CACHE:-$BROKERS_DIR/cache}
BROKERS_RUN=$BROKERS_DIR/run
ROOT40=$BROKERS_CACHE/trixie-rabbitmq
RMQ310_BIN=/usr/lib/rabbitmq/bin
ALL_BROKERS=(single310 cluster310 single40 cluster40 cluster40small)
# Node names and chroot paths carry a tag of BROKERS_DIR, so two checkouts (or a CI run beside a developer's
# brokers) can run brokers at the same time without clashing in epmd.
TAG=$(printf %s "$BROKERS_DIR" | cksum | cut -d' ' -f1)
TAG=${TAG: -5}

log() { printf '[brokers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

need_root() { [ "$(id -u)" = 0 ] || die "needs root (apt-get, debootstrap, chroot, mount); CI runs as root"; }

install310() {
    if [ -x "$RMQ310_BIN/rabbitmq-server" ]; then return 0; fi
    need_root
    log "installing rabbitmq-server (Debian 12 package, RabbitMQ 3.10)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null ||
        die "apt-get install rabbitmq-server failed"
    [ -x "$RMQ310_BIN/rabbitmq-server" ] || die "rabbitmq-server not found at $RMQ310_BIN after install"
}

install40() {
    if [ -f "$ROOT40/.complete" ]; then return 0; fi
    need_root
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
            die "apt-get install debootstrap failed"
    fi
    mkdir -p "$BROKERS_CACHE"
    local tmp=$ROOT40.tmp
    if mountpoint -q "$tmp/proc" 2>/dev/null; then umount "$tmp/proc"; fi
    rm -rf "$tmp"
    log "debootstrap trixie with rabbitmq-server into $ROOT40 (about a minute)"
    debootstrap --variant=minbase --include=rabbitmq-server trixie "$tmp" >"$BROKERS_CACHE/debootstrap.log" 2>&1 ||
        die "debootstrap failed, see $BROKERS_CACHE/debootstrap.log"
    [ -x "$tmp/usr/lib/rabbitmq/bin/rabbitmq-server" ] || die "no rabbitmq-server in the chroot"
    touch "$tmp/.complete"
    mv "$tmp" "$ROOT40"
}

# A free TCP port on 127.0.0.1 that no other port handed out by this script run uses.
declare -A used_ports=()
free_port() {
    local p
    while :; do
        p=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
        if [ -z "${used_ports[$p]:-}" ]; then
            used_ports[$p]=1
            echo "$p"
            return 0
        fi
    done
}

# A throwaway CA and a server certificate for localhost/127.0.0.1, shared by every node of this BROKERS_DIR
# (the stacks' app Secrets may use amqps://, so the brokers offer TLS too).
make_tls() {
    local d=$BROKERS_RUN/tls
    [ -f "$d/server.crt" ] && return 0
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=rabbitmq-platform test CA" \
        -keyout "$d/ca.key" -out "$d/ca.crt" >/dev/null 2>&1 || die "openssl: cannot create the test CA"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" \
        >/dev/null 2>&1 || die "openssl: cannot create the server key"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 7 \
        -extfile "$d/ext.cnf" -out "$d/server.crt" >/dev/null 2>&1 || die "openssl: cannot sign the server certificate"
}

random_password() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

# The rabbitmq.conf lines lib/clusterSpec.ts renders for a RabbitMQ major version beyond the operator's defaults.
rendered_conf() { # MAJOR
    local lib=$repo/bin/lib/clusterSpec.js
    [ -f "$lib" ] || die "no $lib: run npm run build first (4.0 nodes use the settings the program renders)"
    node -e 'for (const l of require(process.argv[1]).membershipReconciliationConfig(Number(process.argv[2]))) console.log(l)' \
        "$lib" "$1"
}

# write_node_files HOSTDIR NODEDIR AMQP MGMT USER PASSWORD AMQPS KIND  (NODEDIR: the directory as the node sees it)
write_node_files() {
    local dir=$1 ndir=$2 amqp=$3 mgmt=$4 user=$5 pass=$6 amqps=$7 kind=$8
    mkdir -p "$dir/mnesia" "$dir/log" "$dir/tls"
    cp "$BROKERS_RUN/tls/ca.crt" "$BROKERS_RUN/tls/server.crt" "$BROKERS_RUN/tls/server.key" "$dir/tls/"
    cat >"$dir/rabbit.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp
listeners.ssl.default = 127.0.0.1:$amqps
ssl_options.cacertfile = $ndir/tls/ca.crt
ssl_options.certfile = $ndir/tls/server.crt
ssl_options.keyfile = $ndir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt
default_user = $user
default_pass = $pass
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
disk_free_limit.absolute = 50MB
collect_statistics_interval = 1000
EOF
    if [ "$kind" = 40 ]; then rendered_conf 4 >>"$dir/rabbit.conf"; fi
    # The platform's plugins (lib/clusterSpec.ts ADDITIONAL_PLUGINS): the runbook's shovel needs them.
    echo '[rabbitmq_management,rabbitmq_shovel,rabbitmq_shovel_management].' >"$dir/enabled_plugins"
}

node_env() { # DIR NODENAME DIST HOME -> env assignments for the node and its CLI
    printf 'HOME=%s RABBITMQ_NODENAME=%s RABBITMQ_MNESIA_BASE=%s/mnesia RABBITMQ_LOG_BASE=%s/log ' "$4" "$2" "$1" "$1"
    printf 'RABBITMQ_CONFIG_FILE=%s/rabbit RABBITMQ_ENABLED_PLUGINS_FILE=%s/enabled_plugins ' "$1" "$1"
    printf 'RABBITMQ_DIST_PORT=%s RABBITMQ_PID_FILE=%s/beam.pid' "$3" "$1"
}

# Start a node in its own session so that stopping it kills exactly its process group.
# launch_node BROKER N  (reads the node's saved settings)
launch_node() {
    local broker=$1 n=$2 ndir=$BROKERS_RUN/$1/node$2
    # shellcheck disable=SC1091
    . "$ndir/node.vars"
    rm -f "$ndir/beam.pid"
    if [ "$KIND" = 40 ]; then
        mountpoint -q "$ROOT40/proc" || mount -t proc proc "$ROOT40/proc"
        setsid chroot "$ROOT40" /bin/sh -c "export $ENVS; exec /usr/lib/rabbitmq/bin/rabbitmq-server" \
            >"$ndir/out.log" 2>&1 </dev/null &
    else
        setsid env $ENVS "$RMQ310_BIN/rabbitmq-server" >"$ndir/out.log" 2>&1 </dev/null &
    fi
    echo $! >"$ndir/pgid"
}

wait_ready() { # URL USER PASS NAME
    local i
    for i in $(seq 1 120); do
        if curl -fsS -m 2 -u "$2:$3" "$1/api/overview" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    return 1
}

cli() { # BROKER N TOOL ARGS... : a RabbitMQ CLI tool against node N of BROKER
    local broker=$1 n=$2 tool=$3
    shift 3
    # shellcheck disable=SC1091
    . "$BROKERS_RUN/$broker/node$n/node.vars"
    # ENVS holds only VAR=path words without spaces, so word splitting yields the assignments.
    # shellcheck disable=SC2086
    if [ "$KIND" = 40 ]; then
        chroot "$ROOT40" env $ENVS "/usr/lib/rabbitmq/bin/$tool" "$@"
    else
        env $ENVS "$RMQ310_BIN/$tool" "$@"
    fi
}

ctl() { # BROKER N ARGS... : rabbitmqctl against node N of BROKER
    local broker=$1 n=$2
    shift 2
    cli "$broker" "$n" rabbitmqctl -q "$@"
}

start_broker() {
    local broker=$1 kind nodes prefix
    case $broker in
    single310) kind=310 nodes=1 prefix=s310 ;;
    cluster310) kind=310 nodes=3 prefix=c310 ;;
    single40) kind=40 nodes=1 prefix=s40 ;;
    cluster40) kind=40 nodes=5 prefix=c40 ;;
    cluster40small) kind=40 nodes=3 prefix=c43 ;;
    *) die "unknown broker '$broker' (known: ${ALL_BROKERS[*]})" ;;
    esac
    if [ -f "$BROKERS_RUN/$broker.env" ]; then die "$broker is already running; run '$0 stop' first"; fi
    local user=admin pass home hostdir n
    pass=$(random_password)
    home=$BROKERS_RUN/home
    mkdir -p "$home"
    [ "$kind" = 40 ] && mkdir -p "$ROOT40/var/tmp/rmq/$TAG/home"
    local started=$SECONDS
    for n in $(seq 1 "$nodes"); do
        hostdir=$BROKERS_RUN/$broker/node$n
        rm -rf "$hostdir"
        mkdir -p "$hostdir"
        local amqp amqps mgmt dist name dir nodehome
        amqp=$(free_port)
        amqps=$(free_port)
        mgmt=$(free_port)
        dist=$(free_port)
        name=$prefix-$TAG-$n@localhost
        if [ "$kind" = 40 ]; then
            dir=/var/tmp/rmq/$TAG/$broker-node$n
            nodehome=/var/tmp/rmq/$TAG/home
            rm -rf "${ROOT40:?}$dir"
            write_node_files "$ROOT40$dir" "$dir" "$amqp" "$mgmt" "$user" "$pass" "$amqps" "$kind"
            ln -sfn "$ROOT40$dir" "$hostdir/files"
        else
            dir=$hostdir/files
            nodehome=$home
            write_node_files "$dir" "$dir" "$amqp" "$mgmt" "$user" "$pass" "$amqps" "$kind"
        fi
        {
            printf 'KIND=%s\n' "$kind"
            printf 'NAME=%s\nAMQP=%s\nAMQPS=%s\nMGMT=%s\nDIST=%s\n' "$name" "$amqp" "$amqps" "$mgmt" "$dist"
            printf "ENVS='%s'\n" "$(node_env "$dir" "$name" "$dist" "$nodehome")"
            printf 'PIDFILE=%s\n' "$hostdir/files/beam.pid"
        } >"$hostdir/node.vars"
        launch_node "$broker" "$n"
    done
    for n in $(seq 1 "$nodes"); do
        # shellcheck disable=SC1091
        . "$BROKERS_RUN/$broker/node$n/node.vars"
        wait_ready "http://127.0.0.1:$MGMT" "$user" "$pass" ||
            die "$broker node $n ($NAME) not ready after 60 s; log: $BROKERS_RUN/$broker/node$n/out.log and files/log/"
    done
    for n in $(seq 2 "$nodes"); do
        log "$broker: joining node $n to $prefix-$TAG-1@localhost"
        {
            ctl "$broker" "$n" stop_app && ctl "$broker" "$n" reset &&
                ctl "$broker" "$n" join_cluster "$prefix-$TAG-1@localhost" && ctl "$broker" "$n" start_app
        } >>"$BROKERS_RUN/$broker/node$n/join.log" 2>&1 ||
            die "$broker: node $n could not join the cluster; see $BROKERS_RUN/$broker/node$n/join.log"
    done
    local first=$BROKERS_RUN/$broker/node1/node.vars version
    # shellcheck disable=SC1090
    . "$first"
    if [ "$nodes" -gt 1 ]; then
        local running=0
        for _ in $(seq 1 60); do
            running=$(curl -fsS -m 2 -u "$user:$pass" "http://127.0.0.1:$MGMT/api/nodes" |
                node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).filter(n=>n.running).length))')
            [ "$running" = "$nodes" ] && break
            sleep 0.5
        done
        [ "$running" = "$nodes" ] || die "$broker: only $running of $nodes nodes running"
    fi
    version=$(curl -fsS -m 5 -u "$user:$pass" "http://127.0.0.1:$MGMT/api/overview" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).rabbitmq_version))')
    {
        printf 'BROKER_NAME=%s\nBROKER_VERSION=%s\nBROKER_NODES=%s\n' "$broker" "$version" "$nodes"
        printf 'RABBITMQ_MGMT_URL=http://127.0.0.1:%s\nRABBITMQ_AMQP_URL=amqp://127.0.0.1:%s\n' "$MGMT" "$AMQP"
        printf 'RABBITMQ_AMQPS_URL=amqps://127.0.0.1:%s\nBROKER_CA_FILE=%s\n' "$AMQPS" "$BROKERS_RUN/tls/ca.crt"
        printf 'RABBITMQ_ADMIN_USER=%s\nRABBITMQ_ADMIN_PASSWORD=%s\n' "$user" "$pass"
        for n in $(seq 1 "$nodes"); do
            # shellcheck disable=SC1090
            . "$BROKERS_RUN/$broker/node$n/node.vars"
            printf 'BROKER_NODE_%s_NAME=%s\nBROKER_NODE_%s_AMQP_PORT=%s\nBROKER_NODE_%s_MGMT_PORT=%s\n' \
                "$n" "$NAME" "$n" "$AMQP" "$n" "$MGMT"
            printf 'BROKER_NODE_%s_PID_FILE=%s\nBROKER_NODE_%s_AMQPS_PORT=%s\n' "$n" "$PIDFILE" "$n" "$AMQPS"
        done
    } >"$BROKERS_RUN/$broker.env.tmp"
    mv "$BROKERS_RUN/$broker.env.tmp" "$BROKERS_RUN/$broker.env"
    log "$broker ready: RabbitMQ $version, $nodes node(s), $((SECONDS - started)) s, env $BROKERS_RUN/$broker.env"
}

stop_node() { # NODEDIR
    local ndir=$1 pg i
    [ -f "$ndir/pgid" ] || return 0
    pg=$(cat "$ndir/pgid")
    if kill -0 -- "-$pg" 2>/dev/null; then
        kill -TERM -- "-$pg" 2>/dev/null || true
        for i in $(seq 1 40); do
            kill -0 -- "-$pg" 2>/dev/null || break
            sleep 0.25
        done
        kill -KILL -- "-$pg" 2>/dev/null || true
    fi
    rm -f "$ndir/pgid"
}

chroot_in_use() { # is any process still running inside the 4.0 chroot?
    local root link
    root=$(readlink -f "$ROOT40")
    for link in /proc/[0-9]*/root; do
        [ "$(readlink "$link" 2>/dev/null)" = "$root" ] && return 0
    done
    return 1
}

stop_all() {
    local ndir
    [ -d "$BROKERS_RUN" ] || return 0
    for ndir in "$BROKERS_RUN"/*/node*; do
        [ -d "$ndir" ] && stop_node "$ndir"
    done
    rm -f "$BROKERS_RUN"/*.env
    # The chroot may be shared (BROKERS_CACHE) with brokers of another BROKERS_DIR: their /proc stays.
    if mountpoint -q "$ROOT40/proc" 2>/dev/null && ! chroot_in_use; then
        umount "$ROOT40/proc" || umount -l "$ROOT40/proc" || log "could not unmount $ROOT40/proc"
    fi
    if [ -f "$BROKERS_RUN/epmd.ours" ]; then
        # epmd daemonises itself; this script's first node started it, so stop it the way epmd offers.
        epmd -kill >/dev/null 2>&1 || true
        rm -f "$BROKERS_RUN/epmd.ours"
    fi
    log "stopped"
}

epmd_running() { (exec 3<>/dev/tcp/127.0.0.1/4369) 2>/dev/null; }

start_brokers() {
    local b need310=0 need40=0
    for b in "$@"; do
        case $b in
        single310 | cluster310) need310=1 ;;
        single40 | cluster40 | cluster40small) need40=1 ;;
        *) die "unknown broker '$b' (known: ${ALL_BROKERS[*]})" ;;
        esac
    done
    [ $need310 = 1 ] && install310
    [ $need40 = 1 ] && install40
    mkdir -p "$BROKERS_RUN"
    make_tls
    epmd_running || touch "$BROKERS_RUN/epmd.ours"
    for b in "$@"; do start_broker "$b"; done
}

cmd=${1:-}
shift || true
case $cmd in
install)
    case ${1:-all} in
    all) install310 && install40 ;;
    310) install310 ;;
    40) install40 ;;
    *) die "install all|310|40" ;;
    esac
    ;;
start)
    [ $# -gt 0 ] || set -- "${ALL_BROKERS[@]}"
    start_brokers "$@"
    ;;
stop) stop_all ;;
restart-node)
    [ $# = 2 ] || die "restart-node BROKER N"
    ndir=$BROKERS_RUN/$1/node$2
    [ -f "$ndir/node.vars" ] || die "no node $2 of $1"
    stop_node "$ndir"
    launch_node "$1" "$2"
    # shellcheck disable=SC1091
    . "$BROKERS_RUN/$1.env"
    # shellcheck disable=SC1091
    . "$ndir/node.vars"
    wait_ready "http://127.0.0.1:$MGMT" "$RABBITMQ_ADMIN_USER" "$RABBITMQ_ADMIN_PASSWORD" || die "node $2 of $1 not ready"
    log "$1 node $2 ($NAME) running again"
    ;;
stop-node)
    [ $# = 2 ] || die "stop-node BROKER N"
    ndir=$BROKERS_RUN/$1/node$2
    [ -f "$ndir/node.vars" ] || die "no node $2 of $1"
    stop_node "$ndir"
    log "$1 node $2 stopped"
    ;;
cli)
    [ $# -ge 3 ] || die "cli BROKER N TOOL ARGS..."
    [ -f "$BROKERS_RUN/$1/node$2/node.vars" ] || die "no node $2 of $1"
    case $3 in
    rabbitmqctl | rabbitmq-diagnostics | rabbitmq-queues | rabbitmq-upgrade) ;;
    *) die "cli: '$3' is not a RabbitMQ CLI tool" ;;
    esac
    cli "$@"
    ;;
status) ls "$BROKERS_RUN"/*.env 2>/dev/null || echo "no brokers running" ;;
run)
    brokers=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        brokers+=("$1")
        shift
    done
    [ "${1:-}" = -- ] || die "usage: run [BROKER...] -- CMD..."
    shift
    [ $# -gt 0 ] || die "usage: run [BROKER...] -- CMD..."
    [ ${#brokers[@]} -gt 0 ] || brokers=("${ALL_BROKERS[@]}")
    trap stop_all EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_brokers "${brokers[@]}"
    set +e
    BROKERS_ENV_DIR=$BROKERS_RUN "$@"
    status=$?
    set -e
    exit $status
    ;;
*)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
