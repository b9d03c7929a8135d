#!/usr/bin/env bash
# A KPI author with only the SDK: configure the SDK alone (no host
# dependencies), install it with `--component sdk`, scaffold a plugin, build
# it with clang++ and libc++ against that install, and pass its golden case
# with `tally test-plugin` and with ctest (tally_add_plugin_cases()). Then
# strip it, install it with `tally plugin install` and verify it.
set -euo pipefail
build=$1       # the host's build folder (its tally runs the cases)
source_dir=$2  # the repository
cmake=${3:-cmake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tally="$build/tally"

step() {
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "failed: $*" >&2
    cat "$work/step.log" >&2
    exit 1
  fi
}

# The SDK configures and installs without the host or any of its libraries.
step "$cmake" -S "$source_dir" -B "$work/sdk-build" -DTALLY_SDK_ONLY=ON -DTALLY_BUILD_TESTS=OFF
step "$cmake" --install "$work/sdk-build" --component sdk --prefix "$work/sdk"
test -f "$work/sdk/include/tally/sdk.hpp"
test -f "$work/sdk/include/tally/metric.hpp"
ls "$work"/sdk/lib*/cmake/TallySDK/TallyPluginCases.cmake >/dev/null
test ! -e "$work/sdk/bin/tally" || { echo "the sdk component installed the host" >&2; exit 1; }
# The host's own build installs the same component without building anything more.
step "$cmake" --install "$build" --component sdk --prefix "$work/sdk2"
test ! -e "$work/sdk2/bin/tally"
diff -r "$work/sdk/include" "$work/sdk2/include"

"$tally" new-plugin deal_mix --dir "$work/deal_mix" >"$work/new.txt"
cxxflags=""
if echo '#include <string>' | clang++ -stdlib=libc++ -x c++ -fsyntax-only - 2>/dev/null; then
  cxxflags="-stdlib=libc++"
fi
step env CXX=clang++ "$cmake" -S "$work/deal_mix" -B "$work/deal_mix/build" -DCMAKE_PREFIX_PATH="$work/sdk" \
  -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_SHARED_LINKER_FLAGS="$cxxflags" -DCMAKE_MODULE_LINKER_FLAGS="$cxxflags" \
  -DTALLY_EXECUTABLE="$tally"
step "$cmake" --build "$work/deal_mix/build"
lib="$work/deal_mix/build/plugins/libtally_deal_mix.so"
readelf -p .comment "$lib" | grep -q clang || { echo "not built with clang" >&2; exit 1; }
if [ -n "$cxxflags" ]; then
  readelf -d "$lib" | grep -q 'libc++' || { echo "not linked with libc++" >&2; exit 1; }
fi

# The golden case the scaffold ships, both ways.
"$tally" test-plugin "$work/deal_mix" >"$work/cases.txt" || { cat "$work/cases.txt"; exit 1; }
grep -q '^ok     basic$' "$work/cases.txt"
step ctest --test-dir "$work/deal_mix/build" --output-on-failure
grep -q 'plugin_case.deal_mix.basic' "$work/step.log"

# Its C++ runtime stays its own (issue 13): loaded with RTLD_DEEPBIND, the
# libc++ plugin's operator new, exception and std::__1 symbols bind in libc++,
# none in the host's libstdc++.
if [ -n "$cxxflags" ]; then
  LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/bindings" "$tally" test-plugin "$work/deal_mix" >/dev/null
  cat "$work"/bindings.* >"$work/bindings.all"
  plugin_files=$(grep -o 'binding file /proc/self/fd/[0-9]* \[[0-9]*\] to [^ ]*libc++[^ ]* ' "$work/bindings.all" |
    awk '{print $3}' | sort -u)
  [ -n "$plugin_files" ] || { echo "no binding of the libc++ plugin to libc++ seen" >&2; exit 1; }
  for f in $plugin_files; do
    if grep "binding file $f \[[0-9]*\] to [^ ]*libstdc++" "$work/bindings.all" >"$work/leaks.txt"; then
      echo "the libc++ plugin's runtime symbols bind to the host's libstdc++:" >&2
      head -20 "$work/leaks.txt" >&2
      exit 1
    fi
  done
fi

# A wrong expectation fails with a readable difference.
sed -i 's/1250.50/1250.75/' "$work/deal_mix/tests/cases/basic/expected.json"
if "$tally" test-plugin "$work/deal_mix" >"$work/fail.txt"; then
  echo "a wrong expected.json passed" >&2
  exit 1
fi
grep -q 'metrics\[deal_mix\].kpis\[won_amount\].value: expected 1250.75, got 1250.5 (money, tolerance 0.005)' \
  "$work/fail.txt" || { cat "$work/fail.txt"; exit 1; }

# Stripped, installed and verified.
strip --strip-all "$lib"
step "$tally" plugin install "$work/deal_mix/build/plugins" --dir "$work/installed"
step "$tally" plugin verify deal_mix --dir "$work/installed"
grep -q '^ok      deal_mix' "$work/step.log"
echo "sdk-only clang++ ${cxxflags:-(libstdc++)} plugin ok"
