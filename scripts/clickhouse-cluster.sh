#!/usr/bin/env bash
# A local two-shard ClickHouse for the tests, the bench and the docs: two
# processes of Debian's clickhouse-server (18.16), each with its own data
# folder under a fresh temporary directory, listening on 127.0.0.1 only, on
# free ports, run as the unprivileged `clickhouse` user when we are root.
#
#   clickhouse-cluster.sh start [STATE_DIR]   starts both, waits until both
#                        answer, prints the clickhouse:// URL; writes
#                        STATE_DIR/env (TALLY_CH_URL, TALLY_CH_URL_ONE,
#                        CH_HTTP_PORT1/2, CH_TCP_PORT1/2, CH_CLUSTER_DIR)
#   clickhouse-cluster.sh stop STATE_DIR      stops both by PID, removes the folder
#
# CH_DATA_DIR=FOLDER keeps the servers' data in FOLDER instead of a fresh
# temporary one, on the same ports each time (saved in FOLDER/ports), and
# stop leaves it in place: a benchmark reloads nothing on a second run.
#
# CH_UNCOMPRESSED_CACHE=BYTES sizes each server's cache of decompressed
# column blocks (default a sixth of the machine's memory, at most 8 GiB,
# ClickHouse's own default). A report reads the same columns many times (26
# of the demo suite's 42 queries read the deals table), so every scan may
# use the cache, not only scans under ClickHouse's default 1M rows: the suite
# on 102M activities took 44.3 s instead of 51.0 s (paired medians) once the
# cache held its columns.
#
# Reading needs only the first server; writing (tally demo) reaches each
# shard over HTTP, so the URL names them in `shards=` (on separate hosts with
# the same HTTP port it could be left out).
#
# Two clusters are declared in `remote_servers`: `tally` (shard 1 on the
# first server, shard 2 on the second) and `tally_one` (the first server
# alone), so the same servers test one shard and two; `tally_down` has a
# second shard on a port nothing listens on (the tests of a shard that is down).
set -euo pipefail
action=${1:?usage: clickhouse-cluster.sh start|stop [STATE_DIR]}
state=${2:-}
server_bin=${CLICKHOUSE_SERVER:-clickhouse-server}
database=${TALLY_CH_DATABASE:-tally}
memory_bytes=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
cache_bytes=${CH_UNCOMPRESSED_CACHE:-$((memory_bytes / 6 < 8589934592 ? memory_bytes / 6 : 8589934592))}

as_server() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u clickhouse -- "$@"; else "$@"; fi
}

stop() {
  [[ -n "$state" && -f "$state/env" ]] || return 0
  local cluster pids=() pid n
  cluster=$(sed -n 's/^export CH_CLUSTER_DIR=//p' "$state/env")
  for n in 1 2; do
    [[ -f "$cluster/n$n/pid" ]] && pids+=("$(cat "$cluster/n$n/pid")")
  done
  # Both asked to stop at once; whatever still runs after 10 s is killed (the data is throwaway).
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  # Thousands of small part files: removing them can take a minute on a busy disk, so it
  # goes on in the background once the servers are gone.
  if [[ -n "$cluster" && "$cluster" == /tmp/tally-ch.* && -d "$cluster" ]]; then
    mv "$cluster" "$cluster.removed"
    setsid rm -rf "$cluster.removed" </dev/null >/dev/null 2>&1 &
  fi
  rm -f "$state/env"
}

# One server's configuration: $1 folder, $2 http port, $3 tcp port.
write_config() {
  local dir=$1 http=$2 tcp=$3
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log"
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog>
    <size>10M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_connections>256</max_connections>
  <max_concurrent_queries>64</max_concurrent_queries>
  <uncompressed_cache_size>$cache_bytes</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <mlock_executable>false</mlock_executable>
  <query_log><database>system</database><table>query_log</table>
    <flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
  <remote_servers>
    <tally>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$tcp2</port></replica></shard>
    </tally>
    <tally_one>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
    </tally_one>
    <tally_down>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$dead</port></replica></shard>
    </tally_down>
  </remote_servers>
</yandex>
EOF
  cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><log_queries>1</log_queries>
    <merge_tree_max_rows_to_use_cache>1000000000000</merge_tree_max_rows_to_use_cache></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

answers() {  # $1 http port
  curl -sf --max-time 2 "http://127.0.0.1:$1/?query=SELECT%201" >/dev/null 2>&1
}

case "$action" in
  start)
    [[ $cache_bytes =~ ^[0-9]+$ ]] || { echo "CH_UNCOMPRESSED_CACHE must be a number of bytes, not '$cache_bytes'" >&2; exit 2; }
    command -v "$server_bin" >/dev/null ||
      { echo "clickhouse-cluster.sh: no $server_bin (apt-get install clickhouse-server clickhouse-client)" >&2; exit 2; }
    if [[ -z "$state" ]]; then state=$(mktemp -d /tmp/tally-ch-state.XXXXXX); fi
    mkdir -p "$state"
    stop
    if [[ -n "${CH_DATA_DIR:-}" ]]; then
      cluster=$(realpath -m "$CH_DATA_DIR")
      mkdir -p "$cluster"
    else
      cluster=$(mktemp -d /tmp/tally-ch.XXXXXX)
    fi
    chmod 755 "$cluster"
    # Five free ports: bind to 0 and take what the kernel gives (the fifth stays closed).
    if [[ -s "$cluster/ports" ]]; then
      read -r http1 tcp1 http2 tcp2 dead <"$cluster/ports"
    else
      read -r http1 tcp1 http2 tcp2 dead < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
      [[ -n "${CH_DATA_DIR:-}" ]] && echo "$http1 $tcp1 $http2 $tcp2 $dead" >"$cluster/ports"
    fi
    write_config "$cluster/n1" "$http1" "$tcp1"
    write_config "$cluster/n2" "$http2" "$tcp2"
    [[ $(id -u) -eq 0 ]] && chown -R clickhouse "$cluster"
    {
      echo "export CH_CLUSTER_DIR=$cluster"
      echo "export CH_HTTP_PORT1=$http1 CH_TCP_PORT1=$tcp1 CH_HTTP_PORT2=$http2 CH_TCP_PORT2=$tcp2"
      echo "export TALLY_CH_URL='clickhouse://127.0.0.1:$http1/$database?cluster=tally&shards=127.0.0.1:$http1,127.0.0.1:$http2'"
      echo "export TALLY_CH_URL_ONE=clickhouse://127.0.0.1:$http1/$database?cluster=tally_one"
    } >"$state/env"
    for n in 1 2; do
      as_server "$server_bin" --daemon --pid-file="$cluster/n$n/pid" --config-file="$cluster/n$n/config.xml" \
        >"$cluster/n$n/start.log" 2>&1 || { cat "$cluster/n$n/start.log" >&2; stop; exit 1; }
    done
    for port in "$http1" "$http2"; do
      for _ in $(seq 1 300); do answers "$port" && break; sleep 0.2; done
      answers "$port" || { echo "clickhouse-cluster.sh: the server on port $port did not answer" >&2;
        cat "$cluster"/n*/log/*.log >&2 || true; stop; exit 1; }
    done
    for port in "$http1" "$http2"; do
      curl -sf --max-time 10 "http://127.0.0.1:$port/" --data-binary "CREATE DATABASE IF NOT EXISTS $database" ||
        { echo "clickhouse-cluster.sh: cannot create database $database on port $port" >&2; stop; exit 1; }
    done
    echo "ClickHouse shards on 127.0.0.1:$http1 and 127.0.0.1:$http2 (HTTP; folder $cluster, state $state)"
    echo "clickhouse://127.0.0.1:$http1/$database?cluster=tally&shards=127.0.0.1:$http1,127.0.0.1:$http2"
    ;;
  stop) [[ -n "$state" ]] || { echo "usage: clickhouse-cluster.sh stop STATE_DIR" >&2; exit 2; }; stop ;;
  *) echo "clickhouse-cluster.sh: unknown action '$action' (start, stop)" >&2; exit 2 ;;
esac
