#!/usr/bin/env bash
# Runs the test files of one suite (unit | integration | all | port) with Node's own test runner through tsx.
# `port` is the Kafka port's own integration tests alone (test/integration/kafka-port-*): the quick check of the
# adapter after a change to src/kafka/.
# Node 20 does not expand globs for `node --test`, and with no file arguments it silently runs nothing,
# so the files are listed explicitly and the run fails when no test executed. Unit files run in parallel,
# integration files two at a time (below).
# NODE_BIN chooses the node binary: by default the Node.js 24 that georep brings (node_modules/.bin/node, which
# `npm test` finds first on PATH anyway); CI sets it to run the unit tests on Node 22 too. An unsupported
# Node is refused (exit 2) before any test runs.
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-all}"
case "$suite" in
  unit | integration | all | port) ;;
  *) echo "usage: run-tests.sh unit|integration|all|port" >&2; exit 2 ;;
esac
list_files() { find "$1" -name "$2" 2>/dev/null | sort; }
unit_files=()
integration_files=()
[ "$suite" = unit ] || [ "$suite" = all ] && mapfile -t unit_files < <(list_files test/unit '*.test.ts')
[ "$suite" = integration ] || [ "$suite" = all ] && mapfile -t integration_files < <(list_files test/integration '*.test.ts')
[ "$suite" = port ] && mapfile -t integration_files < <(list_files test/integration 'kafka-port-*.test.ts')
if [ "${#unit_files[@]}" -eq 0 ] && [ "${#integration_files[@]}" -eq 0 ]; then
  echo "run-tests: no test files found for the $suite suite" >&2
  exit 1
fi
logs_dir="$(mktemp -d)"
trap 'rm -rf "$logs_dir"' EXIT
node_bin="${NODE_BIN:-node_modules/.bin/node}"
echo "run-tests: $suite suite on Node $("$node_bin" --version)"
"$node_bin" --import tsx --input-type=module --eval "
  import { isSupportedNode, SUPPORTED_NODE_RANGE } from './src/cli/supported-node.ts';
  if (!isSupportedNode(process.version)) {
    console.error('run-tests: georep needs Node.js ' + SUPPORTED_NODE_RANGE + ', not ' + process.version + ' (' + process.execPath + ')' +
      '; npm test runs the tests on the Node.js 24 that georep brings.');
    process.exit(2);
  }"

# Runs files with Node's test runner, `concurrency` files at a time, keeping a TAP log for the totals below. A
# failure is noted in a file: the integration workers below run in subshells.
run_files() {
  local name="$1" concurrency="$2"
  shift 2
  "$node_bin" --import tsx --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$logs_dir/$name.tap" \
    --test-concurrency="$concurrency" --test-timeout="${GEOREP_TEST_TIMEOUT_MS:-300000}" "$@" ||
    touch "$logs_dir/failed"
}

# Runs the integration test files listed in `queue`, taking one at a time until none is left, with the ports of
# block `worker` (harness/free-ports.ts); each file's report is printed whole once it ended.
run_queue() {
  local worker="$1" queue="$2" file name
  while true; do
    file=$(flock "$queue.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$queue")
    [ -n "$file" ] || return 0
    name="integration-$(basename "$file" .test.ts)"
    GEOREP_TEST_PORT_BLOCK="$worker" run_files "$name" 1 "$file" >"$logs_dir/$name.out" 2>&1
    flock "$logs_dir/print.lock" cat "$logs_dir/$name.out"
  done
}

# Unit test files need no broker and share nothing: they run side by side, one per core.
[ "${#unit_files[@]}" -gt 0 ] && run_files unit "$(nproc)" "${unit_files[@]}"

# Integration test files start Kafka clusters of their own and mostly wait on them (sessions expiring, kills,
# catching up): two workers take them from one queue, largest first (the long ones are large), which took about
# 30% less time than one after the other on two cores (1,890 s against 2,680 s). A file whose first line says
# `run-tests: alone` holds a bound on timing or memory that a second file's load would bend: those run
# afterwards, one at a time.
if [ "${#integration_files[@]}" -gt 0 ]; then
  side_by_side="$logs_dir/side-by-side.queue"
  alone="$logs_dir/alone.queue"
  : >"$side_by_side"
  : >"$alone"
  for file in "${integration_files[@]}"; do
    if head -n 1 "$file" | grep -q '^// run-tests: alone'; then
      echo "$file" >>"$alone"
    else
      echo "$(wc -c <"$file") $file"
    fi
  done | sort -rn | cut -d' ' -f2- >>"$side_by_side"
  if env | grep -q '^GEOREP_TEST_BOOTSTRAP_'; then
    # Clusters given: the files would share their groups (a killed daemon of one stalling the other's).
    run_queue 1 "$side_by_side"
  else
    run_queue 1 "$side_by_side" &
    first_worker=$!
    run_queue 2 "$side_by_side" &
    second_worker=$!
    # A worker that died (out of memory) lost the file it had taken: a failure too.
    wait "$first_worker" || touch "$logs_dir/failed"
    wait "$second_worker" || touch "$logs_dir/failed"
  fi
  run_queue 0 "$alone"
fi

# A TAP log ends with its run's totals ("# pass 12"); the suites' totals are their sum.
total() {
  local sum=0 log value
  for log in "$logs_dir"/*.tap; do
    value=$(grep -E "^# $1 [0-9]+" "$log" | tail -1 | awk '{print $3}')
    sum=$((sum + ${value:-0}))
  done
  echo "$sum"
}
tests=$(total tests)
passed=$(total pass)
failed=$(total fail)
cancelled=$(total cancelled)
skipped=$(total skipped)
echo "# tests $tests"
echo "# pass $passed"
echo "# fail $failed"
echo "# cancelled $cancelled"
echo "# skipped $skipped"
if [ "$tests" -eq 0 ]; then
  echo "run-tests: no test ran" >&2
  exit 1
fi
echo "$passed passed, $((failed + cancelled)) failed, $skipped skipped"
[ -e "$logs_dir/failed" ] && exit 1
exit 0
