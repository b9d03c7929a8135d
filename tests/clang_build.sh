#!/usr/bin/env bash
# The host builds with clang++ 14 as well as g++ 12 (issue 13): configures a
# separate build folder with clang and compiles the tally executable and its
# plugin host (compile and link only, at -O0 without debug info to stay quick;
# nothing runs but --version). Labelled `clang` in ctest.
set -euo pipefail
source_dir=$1
build=$2  # a folder of its own, kept between runs so ccache and ninja reuse it
cmake=${3:-cmake}
cxx=$(command -v clang++-14 || command -v clang++)
cc=$(command -v clang-14 || command -v clang)
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
"$cmake" -S "$source_dir" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g0" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_COMPILER="$cc" -DTALLY_BUILD_TESTS=OFF "${launcher[@]}" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
"$cmake" --build "$build" --target tally tally-plugin-host -j "${TALLY_CLANG_JOBS:-2}"
"$build/tally" --version
echo "tally builds with $("$cxx" --version | head -1)"
