#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of fuzz/ (docs/testing.md).
#   fuzz.sh targets                  the target names
#   fuzz.sh build DIR                configures DIR with clang++ and -DTALLY_FUZZ=ON, builds the targets
#   fuzz.sh run DIR TARGET SECONDS   runs one target for SECONDS over its corpus
# Exits 77 (ctest's SKIP_RETURN_CODE) with the reason when clang++ or
# libFuzzer's runtime is missing, so nothing passes silently.
# Inputs a run finds go to DIR/corpus/TARGET, crashes to DIR/artifacts/TARGET/;
# fuzz/corpus/ itself is never written (see docs/testing.md to add to it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
targets=(config mapping csv expression import)

# Is clang++ with libFuzzer there? Prints the reason when not.
have_libfuzzer() {
  if ! command -v clang++ >/dev/null 2>&1 || ! command -v clang >/dev/null 2>&1; then
    echo "SKIPPED: clang/clang++ not found; the fuzz targets need them (apt-get install clang libclang-rt-14-dev)"
    return 1
  fi
  local tmp
  tmp=$(mktemp -d)
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$tmp/probe.cpp"
  if ! clang++ -fsanitize=fuzzer,address "$tmp/probe.cpp" -o "$tmp/probe" >"$tmp/log" 2>&1; then
    echo "SKIPPED: clang++ cannot link -fsanitize=fuzzer (libFuzzer's runtime missing: apt-get install libclang-rt-14-dev)"
    sed 's/^/  /' "$tmp/log" | head -5
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$tmp"
}

usage() {
  echo "usage: fuzz.sh targets | build DIR | run DIR TARGET SECONDS" >&2
  exit 2
}

case "${1:-}" in
  targets)
    echo "${targets[@]}"
    ;;
  build)
    [[ $# -eq 2 ]] || usage
    dir=$(realpath -m "$2")
    have_libfuzzer || exit 77
    mkdir -p "$dir"
    launcher=()
    if [[ -n "${FUZZ_LAUNCHER:-}" ]]; then
      launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="$FUZZ_LAUNCHER" -DCMAKE_C_COMPILER_LAUNCHER="$FUZZ_LAUNCHER")
    fi
    # -O1 with line tables only: what libFuzzer suggests, enough for ASan's stack traces, and about
    # a quarter cheaper to compile than -O2 -g (this build is on the path of every `make test`).
    CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DTALLY_FUZZ=ON -DTALLY_BUILD_TESTS=OFF \
      "${launcher[@]}" >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
    start=$(date +%s)
    nice -n "${FUZZ_NICE:-0}" cmake --build "$dir" --target tally_fuzz -j"${FUZZ_JOBS:-$(nproc)}"
    echo "fuzz targets built in $(($(date +%s) - start)) s"
    ;;
  run)
    [[ $# -eq 4 ]] || usage
    dir=$(realpath -m "$2") target=$3 seconds=$4
    [[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target '$target' (${targets[*]})" >&2; exit 2; }
    bin="$dir/fuzz_$target"
    if [[ ! -x "$bin" ]]; then
      have_libfuzzer || exit 77
      echo "$bin is missing: run fuzz.sh build $dir first (did the build fail?)" >&2
      exit 1
    fi
    mkdir -p "$dir/corpus/$target" "$dir/artifacts/$target"
    args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$dir/artifacts/$target/")
    [[ -f "$here/dict/$target.dict" ]] && args+=(-dict="$here/dict/$target.dict")
    # New inputs go to the first directory (the build's), never to fuzz/corpus.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    cd "$dir"
    log="$dir/fuzz_$target.log"
    status=0
    "$bin" "${args[@]}" "$dir/corpus/$target" "$here/corpus/$target" >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+.*(DONE|INITED)|stat::|Done )' "$log" || true
    if [[ $status -ne 0 ]]; then
      tail -n 60 "$log"
      echo "fuzz_$target FAILED (exit $status): the input is in $dir/artifacts/$target/; reproduce with: $bin FILE" >&2
      exit 1
    fi
    ;;
  *)
    usage
    ;;
esac
