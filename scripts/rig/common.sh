# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this file
# Sourced by the rig's build scripts: the repository root, the cache, go on PATH, and their one option, --force
# (rebuild even when the stamp says the build is current).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RIG_CACHE=${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rabbitmq-platform/rig}
command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
FORCE=0
for arg in "$@"; do
    case $arg in
        --force) FORCE=1 ;;
        *)
            echo "$(basename "$0"): unknown argument: $arg (the only option is --force)" >&2
            exit 2
            ;;
    esac
done
