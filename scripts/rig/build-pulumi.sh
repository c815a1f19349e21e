#!/usr/bin/env bash
# Builds the Pulumi CLI and the rig's Node.js language host from Go module sources fetched through the Go module
# proxy, and installs both side by side (the CLI finds bundled language plugins next to its own executable):
#   $RIG_CACHE/pulumi-<version>/bin/pulumi
#   $RIG_CACHE/pulumi-<version>/bin/pulumi-language-nodejs
# <version> is the @pulumi/pulumi version in package-lock.json; rig/pulumi/go.mod must require pkg/v3 at that
# version (checked), and its go.sum pins the CLI's whole dependency graph. The language host is our own
# (rig/langhost: Pulumi's is not served by the proxy; rig/langhost/main.go says why).
# The flags are those of Pulumi's release build (.goreleaser.yml): CGO_ENABLED=0, -trimpath, tags osusergo and
# grpcnotrace, the version stamped into sdk/v3/go/common/version.Version.
#
# Idempotent: a stamp records the version, the hash of the module files and the recipe; when it matches and the
# binaries are there, nothing is done. --force rebuilds anyway.
set -euo pipefail

# shellcheck source=scripts/rig/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RECIPE=1

VERSION=$(node -p 'require(process.argv[1]).packages["node_modules/@pulumi/pulumi"].version' "$ROOT/package-lock.json")
PINNED=$(awk '$1 == "require" && $2 == "github.com/pulumi/pulumi/pkg/v3" { print $3 }' "$ROOT/rig/pulumi/go.mod")
if [ "v$VERSION" != "$PINNED" ]; then
    echo "build-pulumi.sh: package-lock.json has @pulumi/pulumi $VERSION but rig/pulumi/go.mod requires" \
        "github.com/pulumi/pulumi/pkg/v3 $PINNED; the CLI must match the SDK: set the require to v$VERSION and run" \
        "go mod tidy in rig/pulumi" >&2
    exit 1
fi

DEST=$RIG_CACHE/pulumi-$VERSION/bin
STAMP=$RIG_CACHE/stamps/pulumi-$VERSION.stamp
KEY="recipe=$RECIPE version=$VERSION go=$(go env GOVERSION) modules=$(cat "$ROOT"/rig/pulumi/go.* "$ROOT"/rig/langhost/go.* "$ROOT"/rig/langhost/*.go | sha256sum | cut -c1-16)"
if [ "$FORCE" = 0 ] && [ -x "$DEST/pulumi" ] && [ -x "$DEST/pulumi-language-nodejs" ] &&
    [ "$(cat "$STAMP" 2>/dev/null)" = "$KEY" ]; then
    exit 0
fi

mkdir -p "$DEST" "$(dirname "$STAMP")"
rm -f "$STAMP"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
started=$(date +%s)
echo "[rig] building the Pulumi CLI v$VERSION (cold: about 10-15 minutes on 2 cores)" >&2
(cd "$ROOT/rig/pulumi" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION" \
    -o "$DEST/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
(cd "$ROOT/rig/langhost" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-w -s -X main.version=$VERSION" -o "$DEST/pulumi-language-nodejs.partial" .)
mv "$DEST/pulumi.partial" "$DEST/pulumi"
mv "$DEST/pulumi-language-nodejs.partial" "$DEST/pulumi-language-nodejs"
[ "$("$DEST/pulumi" version)" = "v$VERSION" ] || {
    echo "build-pulumi.sh: the built CLI reports $("$DEST/pulumi" version), not v$VERSION" >&2
    exit 1
}
echo "$KEY" >"$STAMP"
echo "[rig] Pulumi CLI v$VERSION and language host built in $(($(date +%s) - started)) s" >&2
