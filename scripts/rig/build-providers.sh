#!/usr/bin/env bash
# Builds the Pulumi resource provider plugins the program uses from Go module
# sources fetched through the Go module proxy, pinned by the wrapper modules in
# rig/providers/<name> (go.mod + go.sum + a tools.go of ours), and installs each as
#   $RIG_CACHE/pulumi-home/plugins/resource-<name>-v<version>/pulumi-resource-<name>
# (the PULUMI_HOME/plugins layout; <version> is exactly the npm SDK version whose
# plugin it is, i.e. the "pulumi".version of @pulumi/<name> in package.json).
# RIG_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig.
#
#   scripts/rig/build-providers.sh [--force] [NAME...]   NAME: kubernetes rabbitmq random (default: all)
#
# How: the provider's cmd/pulumi-resource-<name> main package embeds files that
# are generated at release time and so are not in the module zip (schema-embed.json
# ...). The script copies that directory out of the module cache into a scratch
# module under $RIG_CACHE/build (with our go.mod/go.sum), runs the provider's own
# generate.go with VERSION=<version>, and builds it there with the provider's
# Makefile version stamp (-X <module>/pkg/version.Version=<version>),
# CGO_ENABLED=0 -trimpath -ldflags "-s -w". -mod=readonly: go.sum pins everything.
# Each built plugin must start (print its gRPC port) before it is installed.
#
# Idempotent: a stamp per plugin ($RIG_CACHE/stamps/provider-<name>.stamp) records
# version, module, the hash of the wrapper files, Go version and recipe; when it
# matches and the binary is present, nothing is done. --force rebuilds anyway.
# Scratch (the provider's main package copy and go's GOTMPDIR, ~3.5 GB at peak for
# kubernetes) is removed after a successful build (kept on failure, for debugging).
# Exit status 1 if any requested provider failed or is not buildable here (see PROVIDERS).
# The Go build and module caches are the caller's (go env GOCACHE GOMODCACHE).
# Needs Go >= 1.26 (go on PATH, else /usr/local/go/bin/go) and, on a cold module
# cache, a reachable GOPROXY.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RIG_CACHE=${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig}
PLUGINS=$RIG_CACHE/pulumi-home/plugins
STAMPS=$RIG_CACHE/stamps
BUILD=$RIG_CACHE/build

# Bump when the way plugins are built changes, so older stamps are not trusted.
RECIPE=1

# name | plugin version (= npm @pulumi/<name> version and its "pulumi".version) | Go module
# The module's version (a pseudo-version: these modules have no provider/ tags) is
# read from rig/providers/<name>/go.mod; it must be the commit of tag v<plugin version>.
#   kubernetes 4.25.0 = tag v4.25.0 = f47bc2d6f199 (2026-01-15T03:34:56Z), the only
#   provider/v4 version the proxy serves.
# Not buildable here (the proxy answers 403 "This module version is not available."
# for every tagged commit of these modules, and for their @v/list):
#   rabbitmq: github.com/pulumi/pulumi-rabbitmq/provider/v3 (3.3.8 = v3.0.0-20241213174722-da710e32ec05)
#   random:   github.com/pulumi/pulumi-random/provider/v4   (4.21.1 = v4.0.0-20260722185042-f2d8b029d0f7)
PROVIDERS=(
  "kubernetes|4.25.0|github.com/pulumi/pulumi-kubernetes/provider/v4"
  "rabbitmq|-|github.com/pulumi/pulumi-rabbitmq/provider/v3"
  "random|-|github.com/pulumi/pulumi-random/provider/v4"
)

FORCE=0
WANT=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-providers.sh: unknown option: $arg" >&2; exit 2 ;;
    *) WANT+=("$arg") ;;
  esac
done
NAMED=${#WANT[@]}
if [[ ${#WANT[@]} == 0 ]]; then
  for p in "${PROVIDERS[@]}"; do WANT+=("${p%%|*}"); done
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

log() { printf 'build-providers: %s\n' "$*" >&2; }

# version of module $2 required by go.mod $1
modver() { awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$1"; }

GO=
find_go() {
  [[ -n $GO ]] && return 0
  if command -v go >/dev/null 2>&1; then GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  else log "no go on PATH and no /usr/local/go/bin/go"; exit 1; fi
}

# The Go version only enters the stamp through the toolchain's VERSION file
# (reading it is instant; running `go version` is not needed on the fast path).
go_root_version() {
  local d
  if command -v go >/dev/null 2>&1; then d=$(dirname "$(dirname "$(readlink -f "$(command -v go)")")")
  else d=/usr/local/go; fi
  head -n1 "$d/VERSION" 2>/dev/null || echo unknown
}
GOVER=$(go_root_version)

# Starts the plugin, waits for it to print its port, stops it. $1 binary, $2 log dir
smoke() {
  local bin=$1 dir=$2 pid i port=
  "$bin" >"$dir/smoke.out" 2>"$dir/smoke.err" </dev/null &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    port=$(head -n1 "$dir/smoke.out" 2>/dev/null || true)
    [[ $port =~ ^[0-9]+$ ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ $port =~ ^[0-9]+$ ]]; then
    log "  smoke test: $(basename "$bin") started and listened on port $port"
  else
    log "  smoke test FAILED: $(basename "$bin") printed no port; stdout/stderr in $dir/smoke.{out,err}"
    return 1
  fi
}

build_one() { # $1 name $2 plugin version $3 module
  # Called as `build_one ... || ...`, where errexit is off: every step checks its status.
  local name=$1 version=$2 mod=$3
  local wrap=$ROOT/rig/providers/$name
  local modv plugdir bin stamp_file stamp scratch src cmd
  modv=$(modver "$wrap/go.mod" "$mod")
  [[ -n $modv ]] || { log "$name: $wrap/go.mod does not require $mod"; return 1; }
  plugdir=$PLUGINS/resource-$name-v$version
  bin=$plugdir/pulumi-resource-$name
  stamp_file=$STAMPS/provider-$name.stamp
  stamp=$(printf '%s %s %s@%s recipe=%s go=%s wrap=%s\n' "$name" "$version" "$mod" "$modv" "$RECIPE" "$GOVER" \
    "$(cat "$wrap"/go.mod "$wrap"/go.sum "$wrap"/*.go | sha256sum | cut -c1-16)")
  if [[ $FORCE == 0 && -x $bin && -f $stamp_file && "$(<"$stamp_file")" == "$stamp" ]]; then
    log "$name $version: up to date ($bin)"
    return 0
  fi

  find_go || return 1
  local t0=$SECONDS
  log "$name $version: building from $mod@$modv"
  scratch=$BUILD/provider-$name-v$version
  rm -rf "$scratch" && mkdir -p "$scratch/src" "$scratch/tmp" || return 1
  export GOTMPDIR=$scratch/tmp
  # Scratch module = our go.mod/go.sum (the whole graph, pinned) + the provider's main package.
  cp "$wrap/go.mod" "$wrap/go.sum" "$scratch/src/" || return 1
  src=$(cd "$scratch/src" && "$GO" mod download -json "$mod@$modv" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $src && -d $src/cmd/pulumi-resource-$name ]] || { log "$name: no cmd/pulumi-resource-$name in $mod@$modv (dir: ${src:-none})"; return 1; }
  cmd=$scratch/src/cmd/pulumi-resource-$name
  mkdir -p "$(dirname "$cmd")"
  cp -R "$src/cmd/pulumi-resource-$name" "$cmd" && chmod -R u+w "$cmd" || return 1
  # The provider's own generator (//go:build ignore), as its Makefile runs it via go generate.
  (cd "$cmd" && VERSION=$version "$GO" run ./generate.go) || return 1
  (cd "$scratch/src" && "$GO" build -trimpath \
    -ldflags "-s -w -X $mod/pkg/version.Version=$version" \
    -o "$scratch/pulumi-resource-$name" "./cmd/pulumi-resource-$name") || return 1
  smoke "$scratch/pulumi-resource-$name" "$scratch" || return 1

  mkdir -p "$plugdir" "$STAMPS" && rm -f "$stamp_file" || return 1
  cp "$scratch/pulumi-resource-$name" "$bin.tmp" && mv -f "$bin.tmp" "$bin" || return 1
  printf '%s\n' "$stamp" >"$stamp_file" || return 1
  rm -rf "$scratch"
  log "$name $version: installed $bin ($(du -h "$bin" | cut -f1), $((SECONDS - t0))s)"
}

rc=0
for name in "${WANT[@]}"; do
  entry=
  for p in "${PROVIDERS[@]}"; do [[ ${p%%|*} == "$name" ]] && entry=$p; done
  [[ -n $entry ]] || { log "unknown provider: $name (known: kubernetes rabbitmq random)"; exit 2; }
  IFS='|' read -r _ version mod <<<"$entry"
  if [[ $version == - ]]; then
    # Reported on every build, but only a build that asked for it by name fails: the rest of the rig works.
    log "$name: NOT BUILDABLE here: the Go module proxy serves no version of $mod (403 \"This module version is not available.\"); see the comment at the top of PROVIDERS"
    [[ $NAMED == 0 ]] || rc=1
    continue
  fi
  npm_version=$(node -p "(require(process.argv[1]).packages['node_modules/@pulumi/$name'] || {}).version" "$ROOT/package-lock.json")
  if [[ $npm_version != "$version" ]]; then
    log "$name: package-lock.json has @pulumi/$name $npm_version but this script builds plugin $version; the SDK and the plugin must be the same version: pin @pulumi/$name to $version (npm install --save-exact @pulumi/$name@$version) or build the plugin of $npm_version"
    rc=1
    continue
  fi
  build_one "$name" "$version" "$mod" || { log "$name: build FAILED (scratch kept under $BUILD)"; rc=1; }
done
exit $rc
