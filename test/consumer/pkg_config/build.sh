#!/bin/sh
# build.sh PREFIX WORK VERSION: builds app.cpp in WORK with the compile line the README
# gives, against the mob installed in PREFIX, runs it and checks it saw mob VERSION.
set -eu
prefix=$1 work=$2 version=$3
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
rm -f "$work/app"
cp "$(dirname "$0")/app.cpp" "$work/app.cpp"
cd "$work"
c++ -std=c++20 app.cpp $(pkg-config --cflags --libs mob-broker mob-worker) -o app
out=$(LD_LIBRARY_PATH="$prefix/lib" ./app)
echo "$out"
[ "$out" = "pkg-config consumer: ok (mob $version)" ]
