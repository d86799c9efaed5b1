#!/usr/bin/env bash
# bench/run.sh [mob-rpc-bench arguments, e.g. --quick]
# bench/run.sh --scale [mob-scale-bench arguments, e.g. --workers 4,1000 --rounds 1]
#
# --scale builds and runs mob-scale-bench (one kingpin with 4, 16 and 1000 workers),
# which needs none of the baselines below. Otherwise:
# Installs what the benchmark's baselines need, builds mob-rpc-bench (Release, in
# build-bench/) and the NATS client, and runs the bench with every baseline:
#   - Debian's nats-server, golang-go and golang-github-nats-io-go-nats-dev (apt-get,
#     when missing; needs root or sudo), and node/npm (nodejs, npm) if there is no node;
#   - node's mob 0.0.9, by `npm ci` from bench/baselines/node-mob/package-lock.json into
#     build-bench/node-mob (out of the source tree; the registry is asked once);
#   - bench/baselines/nats built in GOPATH mode against Debian's Go sources
#     (/usr/share/gocode, GO111MODULE=off): the go tool downloads nothing (GOPROXY=off).
# Builds run under `nice -n 10` with BENCH_JOBS (2) jobs; the bench itself is not niced.
# BENCH_BUILD_DIR moves build-bench/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
jobs=${BENCH_JOBS:-2}
gopath=/usr/share/gocode

say() { printf 'bench/run.sh: %s\n' "$*" >&2; }

# Everything before the bench's own output goes to stderr: stdout is the bench's table.
exec 3>&1 1>&2

configure() {
    if [ ! -f "$build/CMakeCache.txt" ]; then
        nice -n 10 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
            -DMOB_BUILD_TESTS=OFF -DMOB_BUILD_EXAMPLES=OFF
    fi
}

if [ "${1:-}" = --scale ]; then
    shift
    configure
    nice -n 10 cmake --build "$build" -j"$jobs" --target mob-scale-bench
    exec 1>&3 3>&-
    exec "$build/bench/mob-scale-bench" "$@"
fi

# --- Debian packages ----------------------------------------------------------------
missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
command -v go >/dev/null || missing+=(golang-go)
[ -d "$gopath/src/github.com/nats-io/nats.go" ] || missing+=(golang-github-nats-io-go-nats-dev)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "need root (or sudo) to install: ${missing[*]}"; exit 1; }
        sudo=(sudo)
    fi
    say "installing ${missing[*]}"
    # The package lists may be stale or absent (a fresh container): update once if the
    # first try fails.
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends \
            "${missing[@]}"; then
        "${sudo[@]}" apt-get update
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends \
            "${missing[@]}"
    fi
fi

# --- node's mob -----------------------------------------------------------------------
# A copy of the baseline's files next to its own node_modules, renewed when the lock file
# changes, so the source tree gets no node_modules and a rerun asks no registry.
src_node="$root/bench/baselines/node-mob"
node_dir="$build/node-mob"
mkdir -p "$node_dir"
cp "$src_node"/package.json "$src_node"/package-lock.json "$src_node"/*.js "$node_dir/"
if ! cmp -s "$src_node/package-lock.json" "$node_dir/node_modules/.bench-lock" 2>/dev/null ||
        [ ! -f "$node_dir/node_modules/mob/package.json" ]; then
    say "npm ci (node's mob 0.0.9) in $node_dir"
    (cd "$node_dir" && nice -n 10 npm ci --no-audit --no-fund --loglevel=error)
    cp "$src_node/package-lock.json" "$node_dir/node_modules/.bench-lock"
fi
version=$(node -p "require('$node_dir/node_modules/mob/package.json').version")
[ "$version" = 0.0.9 ] || { say "node_modules/mob is $version, not 0.0.9"; exit 1; }

# --- mob-rpc-bench --------------------------------------------------------------------
configure
nice -n 10 cmake --build "$build" -j"$jobs" --target mob-rpc-bench

# --- the NATS client ------------------------------------------------------------------
# go build is incremental (its cache in the build directory), so it runs every time.
GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOFLAGS= GOCACHE="$build/go-cache" \
    nice -n 10 go build -p "$jobs" -o "$build/nats-echo" "$root/bench/baselines/nats/main.go"

# --- run ------------------------------------------------------------------------------
exec 1>&3 3>&-
exec "$build/bench/mob-rpc-bench" \
    --node-mob "$node_dir" --node "$(command -v node)" \
    --nats-client "$build/nats-echo" --nats-server "$(command -v nats-server)" \
    "$@"
