#!/usr/bin/env bash
# Assembles cert-manager's Helm chart at the version Pulumi.yaml pins (certManagerVersion) from the cert-manager Go
# module's sources, fetched through the Go module proxy, the way cert-manager's release does (make/manifests.mk):
# deploy/charts/cert-manager without its .template files, Chart.yaml from Chart.template.yaml with the version and
# appVersion set, and templates/crds.yaml from deploy/crds/*.yaml joined as one YAML stream. Unlike the release,
# the chart is not signed. Output: $RIG_CACHE/charts/cert-manager-<version>/, the folder the `certManagerChart`
# key takes for air-gapped installs. The operator's manifest cannot be made the same way here: the proxy serves no
# version of github.com/rabbitmq/cluster-operator (README, "The real-engine rig").
#
# Idempotent: a stamp records the version and the recipe; --force assembles it again.
set -euo pipefail

# shellcheck source=scripts/rig/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RECIPE=1

VERSION=$(node -p "require('js-yaml').load(require('fs').readFileSync(process.argv[1], 'utf8')).config.certManagerVersion.default" "$ROOT/Pulumi.yaml")
DEST=$RIG_CACHE/charts/cert-manager-$VERSION
STAMP=$RIG_CACHE/stamps/chart-cert-manager-$VERSION.stamp
KEY="recipe=$RECIPE version=$VERSION"
if [ "$FORCE" = 0 ] && [ -f "$DEST/Chart.yaml" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$KEY" ]; then
    exit 0
fi

SRC=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/cert-manager/cert-manager@$VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')
CHART=$SRC/deploy/charts/cert-manager
[ -f "$CHART/Chart.template.yaml" ] || {
    echo "build-charts.sh: $CHART/Chart.template.yaml not found: cert-manager $VERSION lays out its chart differently" >&2
    exit 1
}

mkdir -p "$(dirname "$DEST")" "$(dirname "$STAMP")"
rm -rf "$DEST.partial" "$STAMP"
cp -R "$CHART" "$DEST.partial"
chmod -R u+w "$DEST.partial"
rm -f "$DEST.partial"/Chart.template.yaml "$DEST.partial"/README.template.md "$DEST.partial"/signkey_annotation.txt \
    "$DEST.partial"/values.linter.exceptions
node -e '
const fs = require("fs");
const yaml = require("js-yaml");
const [template, out, version] = process.argv.slice(1);
const chart = yaml.load(fs.readFileSync(template, "utf8"));
chart.version = version;
chart.appVersion = version;
chart.annotations["artifacthub.io/prerelease"] = "false";
fs.writeFileSync(out, yaml.dump(chart, { lineWidth: -1 }));
' "$CHART/Chart.template.yaml" "$DEST.partial/Chart.yaml" "$VERSION"
# One stream of the CRDs, as the release's hack/concat-yaml.sh writes it: each document after a "---" line.
for crd in "$SRC"/deploy/crds/crd-*.yaml; do
    printf -- '---\n'
    cat "$crd"
done >"$DEST.partial/templates/crds.yaml"
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
echo "$KEY" >"$STAMP"
echo "[rig] cert-manager chart $VERSION assembled in $DEST" >&2
