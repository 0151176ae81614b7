#!/bin/sh
# npm run fuzz:jazzer [-- SECONDS]: coverage-guided fuzzing of test/fuzz/decode.fuzz.ts with Jazzer.js 2.1.0.
#
# Why not a devDependency: @jazzer.js/core@4 ships a prebuilt fuzzer that needs GLIBC_2.38 (Debian 12 has 2.36);
# @jazzer.js/fuzzer@2.1.0's install script downloads a prebuild from github.com, then falls back to building a patched
# LLVM compiler-rt it also downloads from github.com, so `npm ci` would fail offline for everyone. Here we install
# it outside the repository with --ignore-scripts and build its addon against Debian's stock libFuzzer
# (libclang-rt-14-dev) with three small shims for the symbols Jazzer's LLVM fork adds (see debian_shims.cpp).
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
DIR=${RACKROUTE_JAZZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rackroute-jazzer}
SECONDS_TO_RUN=${1:-600}
LIBFUZZER=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | tail -1)
[ -n "$LIBFUZZER" ] || { echo "need libFuzzer: apt-get install libclang-rt-14-dev cmake clang" >&2; exit 2; }
FUZZER="$DIR/node_modules/@jazzer.js/fuzzer"

if [ ! -f "$FUZZER/build/Release/jazzerjs.node" ]; then
  echo "[jazzer] installing @jazzer.js/core@2.1.0 into $DIR (scripts off)"
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"name":"rackroute-jazzer","private":true}' > "$DIR/package.json"
  npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund --loglevel=error @jazzer.js/core@2.1.0
  echo "[jazzer] building the addon against $LIBFUZZER"
  mkdir -p "$FUZZER/debshim/fuzzer"
  cp "$ROOT/test/fuzz/jazzer/FuzzerDefs.h" "$FUZZER/debshim/fuzzer/"
  cp "$ROOT/test/fuzz/jazzer/debian_shims.cpp" "$FUZZER/shared/"
  # Replace the ExternalProject that downloads compiler-rt with Debian's static libFuzzer.
  node -e '
    const fs = require("fs"); const f = process.argv[1]; const lib = process.argv[2];
    let s = fs.readFileSync(f, "utf8");
    const a = s.indexOf("# Download and build compiler-rt");
    const b = s.indexOf("if(CMAKE_SYSTEM_NAME STREQUAL \"Linux\")\n  target_link_libraries(");
    if (a >= 0 && b > a) {
      s = s.slice(0, a) + "target_include_directories(${PROJECT_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/debshim)\n"
        + "set(BINARY_DIR " + require("path").dirname(require("path").dirname(require("path").dirname(lib))) + ")\n" + s.slice(b);
      fs.writeFileSync(f, s);
    }' "$FUZZER/CMakeLists.txt" "$LIBFUZZER"
  (cd "$FUZZER" && PATH="$DIR/node_modules/.bin:$PATH" cmake-js build --out build >/dev/null)
fi

echo "[jazzer] bundling the fuzz target"
"$ROOT/node_modules/.bin/esbuild" "$ROOT/test/fuzz/decode.fuzz.ts" --bundle --platform=node --format=cjs \
  --outfile="$DIR/decode.fuzz.cjs" --log-level=warning
mkdir -p "$DIR/corpus"
cd "$DIR"
# New inputs go to $DIR/corpus; test/fuzz/corpus is read as seeds. Crashes land in $DIR as crash-*.
exec "$DIR/node_modules/.bin/jazzer" decode.fuzz.cjs corpus "$ROOT/test/fuzz/corpus" --sync -- \
  -max_total_time="$SECONDS_TO_RUN" -timeout=5
