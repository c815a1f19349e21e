#!/usr/bin/env bash
# Builds the local Kubernetes control plane (and node binaries) and etcd from Go
# module sources fetched through the Go module proxy, pinned by the wrapper
# modules in rig/kube (k8s.io/kubernetes) and rig/etcd (go.etcd.io/etcd/server/v3).
#
# Installs:
#   $RIG_CACHE/kube-<version>/bin/{kube-apiserver,kube-controller-manager,
#                                  kube-scheduler,kubectl,kubelet,kube-proxy}
#   $RIG_CACHE/etcd-<version>/bin/etcd
# RIG_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig.
# Versions come from the wrapper go.mod files (single source of truth).
#
# Idempotent: a stamp file per install records the version, the hash of the
# wrapper module files and the build recipe; when it matches and the binaries are
# present the script exits at once. --force rebuilds anyway.
#
# Scratch lives under $RIG_CACHE/build: kube/ (go's temp dir, staged outputs,
# lock) and gocache/ (this build's Go build cache, ~3.3 GB; RIG_GOCACHE moves it).
# rm -rf "$RIG_CACHE/build" is safe; the next rebuild is then cold (~25 min).
# Needs Go >= 1.26 (go on PATH, else /usr/local/go/bin/go) and a reachable
# GOPROXY on a cold module cache. Builds with -mod=readonly: go.sum pins everything.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RIG_CACHE=${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig}
KUBE_MOD=$ROOT/rig/kube
ETCD_MOD=$ROOT/rig/etcd

# Bump when the way binaries are built changes (flags, tags, list), so stamps
# written by an older recipe are not trusted.
RECIPE=1

FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-kube.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)

# version of module $2 required by go.mod $1
modver() { awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$1"; }

KUBE_VERSION=$(modver "$KUBE_MOD/go.mod" k8s.io/kubernetes)
ETCD_VERSION=$(modver "$ETCD_MOD/go.mod" go.etcd.io/etcd/server/v3)
[[ $KUBE_VERSION =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || { echo "build-kube.sh: cannot read k8s.io/kubernetes version from $KUBE_MOD/go.mod" >&2; exit 1; }
KUBE_MAJOR=${BASH_REMATCH[1]} KUBE_MINOR=${BASH_REMATCH[2]}
[[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]] || { echo "build-kube.sh: cannot read go.etcd.io/etcd/server/v3 version from $ETCD_MOD/go.mod" >&2; exit 1; }

# Release-style version stamps. buildDate is fixed (the v1.36.3 tag time, from the
# module proxy's .info) so builds are reproducible. The module zip carries no git
# metadata and the proxy does not report the tag's commit, so gitCommit stays
# empty unless KUBE_GIT_COMMIT is given.
KUBE_BUILD_DATE=${KUBE_BUILD_DATE:-2026-07-22T18:07:38Z}
KUBE_GIT_COMMIT=${KUBE_GIT_COMMIT:-}
ETCD_GIT_SHA=${ETCD_GIT_SHA:-}

KUBE_DIR=$RIG_CACHE/kube-$KUBE_VERSION
ETCD_DIR=$RIG_CACHE/etcd-$ETCD_VERSION

stamp_of() { # $1 name, $2 version, $3 module dir, $4.. extra recipe inputs
  local name=$1 version=$2 dir=$3; shift 3
  printf '%s %s recipe=%s mod=%s extra=%s\n' "$name" "$version" "$RECIPE" \
    "$(cat "$dir/go.mod" "$dir/go.sum" "$dir/tools.go" | sha256sum | cut -c1-16)" "$*"
}
KUBE_STAMP=$(stamp_of kube "$KUBE_VERSION" "$KUBE_MOD" "$KUBE_BUILD_DATE" "$KUBE_GIT_COMMIT")
ETCD_STAMP=$(stamp_of etcd "$ETCD_VERSION" "$ETCD_MOD" "$ETCD_GIT_SHA")

up_to_date() { # $1 install dir, $2 stamp, $3.. binaries
  local dir=$1 stamp=$2; shift 2
  [[ $FORCE == 0 && -f $dir/.stamp && "$(<"$dir/.stamp")" == "$stamp" ]] || return 1
  local b; for b in "$@"; do [[ -x $dir/bin/$b ]] || return 1; done
}

kube_ok=0 etcd_ok=0
up_to_date "$KUBE_DIR" "$KUBE_STAMP" "${KUBE_BINS[@]}" && kube_ok=1
up_to_date "$ETCD_DIR" "$ETCD_STAMP" etcd && etcd_ok=1
if [[ $kube_ok == 1 && $etcd_ok == 1 ]]; then
  echo "build-kube.sh: kube $KUBE_VERSION and etcd $ETCD_VERSION already built in $RIG_CACHE"
  exit 0
fi

# ---- slow path -------------------------------------------------------------
GO=$(command -v go || true)
[[ -n $GO ]] || GO=/usr/local/go/bin/go
[[ -x $GO ]] || { echo "build-kube.sh: no go toolchain (looked on PATH and /usr/local/go/bin)" >&2; exit 1; }
gov=$("$GO" env GOVERSION)
if ! [[ $gov =~ ^go1\.([0-9]+) ]] || (( BASH_REMATCH[1] < 26 )); then
  echo "build-kube.sh: need Go >= 1.26, have $gov" >&2; exit 1
fi

BUILD=$RIG_CACHE/build/kube
mkdir -p "$BUILD/tmp"
exec 9>"$BUILD/.lock"
flock 9 # one build at a time; a concurrent run waits, then re-checks below

# Pinned, reproducible builds from the committed go.mod/go.sum only.
export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOTMPDIR=$BUILD/tmp
export GOCACHE=${RIG_GOCACHE:-$RIG_CACHE/build/gocache}
unset GOOS GOARCH

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

install_bins() { # $1 staging dir, $2 install dir, $3 stamp, $4.. binaries
  local stage=$1 dir=$2 stamp=$3; shift 3
  mkdir -p "$dir/bin"
  rm -f "$dir/.stamp"
  local b; for b in "$@"; do mv -f "$stage/$b" "$dir/bin/$b"; done
  printf '%s\n' "$stamp" >"$dir/.stamp"
}

# Re-check under the lock: another run may have finished meanwhile.
up_to_date "$KUBE_DIR" "$KUBE_STAMP" "${KUBE_BINS[@]}" && kube_ok=1
up_to_date "$ETCD_DIR" "$ETCD_STAMP" etcd && etcd_ok=1

if [[ $etcd_ok == 0 ]]; then
  stage=$BUILD/stage-etcd-$ETCD_VERSION
  rm -rf "$stage"; mkdir -p "$stage"
  ldflags="-s -w"
  [[ -z $ETCD_GIT_SHA ]] || ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_GIT_SHA"
  echo "build-kube.sh: building etcd $ETCD_VERSION ($gov)"
  t0=$(now)
  (cd "$ETCD_MOD" && "$GO" build -trimpath -ldflags "$ldflags" -o "$stage/etcd" go.etcd.io/etcd/server/v3)
  out=$("$stage/etcd" --version)
  grep -qx "etcd Version: ${ETCD_VERSION#v}" <<<"$out" \
    || { echo "build-kube.sh: built etcd does not report ${ETCD_VERSION#v}: $out" >&2; exit 1; }
  echo "build-kube.sh:   etcd $(secs "$t0" "$(now)")s"
  install_bins "$stage" "$ETCD_DIR" "$ETCD_STAMP" etcd
  rm -rf "$stage"
fi

if [[ $kube_ok == 0 ]]; then
  stage=$BUILD/stage-kube-$KUBE_VERSION
  rm -rf "$stage"; mkdir -p "$stage"
  # As hack/lib/version.sh + golang.sh do for release builds.
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$KUBE_MAJOR -X $pkg.gitMinor=$KUBE_MINOR"
    ldflags+=" -X $pkg.gitCommit=$KUBE_GIT_COMMIT -X $pkg.gitTreeState=clean -X $pkg.buildDate=$KUBE_BUILD_DATE"
  done
  tags=selinux,notest,grpcnotrace
  echo "build-kube.sh: building Kubernetes $KUBE_VERSION ($gov): ${KUBE_BINS[*]}"
  t_all=$(now)
  # One binary at a time: the first compiles most of the tree, the rest reuse
  # the build cache; per-binary times are logged.
  for b in "${KUBE_BINS[@]}"; do
    t0=$(now)
    (cd "$KUBE_MOD" && "$GO" build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$stage/$b" "k8s.io/kubernetes/cmd/$b")
    echo "build-kube.sh:   $b $(secs "$t0" "$(now)")s"
  done
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    out=$("$stage/$b" --version)
    [[ $out == "Kubernetes $KUBE_VERSION" ]] \
      || { echo "build-kube.sh: built $b does not report $KUBE_VERSION: $out" >&2; exit 1; }
  done
  out=$(KUBECONFIG=/dev/null "$stage/kubectl" version --client)
  grep -qx "Client Version: $KUBE_VERSION" <<<"$out" \
    || { echo "build-kube.sh: built kubectl does not report $KUBE_VERSION: $out" >&2; exit 1; }
  echo "build-kube.sh:   all $(secs "$t_all" "$(now)")s"
  install_bins "$stage" "$KUBE_DIR" "$KUBE_STAMP" "${KUBE_BINS[@]}"
  rm -rf "$stage"
fi

rm -rf "$BUILD/tmp"
echo "build-kube.sh: kube $KUBE_VERSION in $KUBE_DIR/bin, etcd $ETCD_VERSION in $ETCD_DIR/bin"
