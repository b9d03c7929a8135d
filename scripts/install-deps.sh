#!/usr/bin/env bash
# Installs the Debian packages Tally needs that are missing. Never downloads
# anything but Debian packages. Usage: install-deps.sh build [test]
set -euo pipefail

build_packages=(cmake ninja-build g++ make pkg-config
  libboost-dev libboost-filesystem-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libsqlitecpp-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev libssl-dev libpq-dev
  libcpp-httplib-dev  # tally serve (docs/decisions.md)
  libcurl4-openssl-dev)  # libcurl: delivery by SMTP and webhooks (core/src/deliver/)
test_packages=(libgtest-dev libgmock-dev chromium fonts-dejavu-core python3
  python3-aiosmtpd systemd  # delivery_test.cpp: the SMTP sink; schedule_test.cpp: systemd-analyze
  postgresql  # initdb, pg_ctl and psql: the throwaway server of the `postgres` tests (tests/postgres/)
  clickhouse-server clickhouse-client  # the two-shard cluster of the `clickhouse` tests (scripts/clickhouse-cluster.sh)
  curl  # clickhouse-cluster.sh waits for the servers over HTTP
  clang libclang-rt-14-dev  # clang + libFuzzer runtime: the fuzz tests (fuzz/)
  libc++-14-dev libc++abi-14-dev  # an out-of-tree plugin built with clang++ and libc++ (tests/sdk_only_plugin.sh)
  binutils tar openssl)  # strip, .tar.gz plugin bundles and ed25519 keys in the plugin trust tests
bench_packages=(time sqlite3)

wanted=()
for group in "$@"; do
  case "$group" in
    build) wanted+=("${build_packages[@]}") ;;
    test) wanted+=("${test_packages[@]}") ;;
    bench) wanted+=("${bench_packages[@]}") ;;
    *) echo "install-deps.sh: unknown group '$group' (build, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Not root and no sudo: install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
