#!/usr/bin/env bash
# Redraws the README's picture of the processes, docs/images/processes.svg, from
# docs/images/processes.dot. Needs Debian's graphviz (apt-get install graphviz); the
# build does not: the SVG is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
dot -Tsvg docs/images/processes.dot -o docs/images/processes.svg
echo "wrote docs/images/processes.svg"
