#!/usr/bin/env bash
# bench/plots.sh [mob-rpc-bench arguments, e.g. --quick]
# Runs the benchmarks with --data (bench/run.sh: every baseline, ipc and tcp, windows 1
# to 256; then the scale bench at 4 to 1000 workers) and draws their figures with
# Debian's gnuplot (gnuplot-nox, installed when missing) into docs/images/:
#   bench-latency-T-Nw.svg     latency distribution of each path (T ipc|tcp, N workers)
#   bench-throughput-T-Nw.svg  calls/s against calls in flight, each path
#   bench-scale.svg            start-up, revive and idle CPU against spawned workers
# The data files stay in build-bench/plot-data (PLOT_DATA moves them). SCALE_ARGS
# replaces the scale bench's arguments (default: --workers 4,16,64,256,1000 --rounds 1).
# PLOT_ONLY=1 draws the data files already there, running no benchmark.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${PLOT_DATA:-$root/build-bench/plot-data}
images=$root/docs/images
say() { printf 'bench/plots.sh: %s\n' "$*" >&2; }

if ! command -v gnuplot >/dev/null; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    say "installing gnuplot-nox"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends gnuplot-nox ||
        { "${sudo[@]}" apt-get update &&
          DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends gnuplot-nox; }
fi

mkdir -p "$images"
if [ "${PLOT_ONLY:-0}" != 1 ]; then
    rm -rf "$data"
    mkdir -p "$data"
    bash "$root/bench/run.sh" --transport both --windows 4,16,64,256 --data "$data" "$@"
    # shellcheck disable=SC2086 # SCALE_ARGS is a list of arguments
    bash "$root/bench/run.sh" --scale ${SCALE_ARGS:---workers 4,16,64,256,1000 --rounds 1} \
        --data "$data"
fi

plot() { gnuplot -e "$1" "$root/bench/plots/$2"; }
for file in "$data"/latency-*.dat; do
    name=$(basename "$file" .dat)     # latency-ipc-4w
    what=${name#latency-}; what=${what%w}   # ipc-4
    blocks=$(grep -c '^"' "$file")
    plot "data='$file'; out='$images/bench-$name.svg'; blocks=$blocks; \
          ttl='round trip at one call in flight, ${what/-/, } workers'" latency.gp
done
for file in "$data"/throughput-*.dat; do
    name=$(basename "$file" .dat)
    what=${name#throughput-}; what=${what%w}
    # A path's name has spaces: count the quoted names, not the words.
    columns=$(( $(grep -v '^#' "$file" | head -1 | grep -o '"[^"]*"' | wc -l) + 1 ))
    plot "data='$file'; out='$images/bench-$name.svg'; columns=$columns; \
          ttl='calls/s against calls in flight, ${what/-/, } workers'" throughput.gp
done
if [ -f "$data/scale.dat" ]; then
    plot "data='$data/scale.dat'; out='$images/bench-scale.svg'" scale.gp
fi
say "plots in $images: $(cd "$images" && ls bench-*.svg | tr '\n' ' ')"
