#!/usr/bin/env bash
# Runs the test files of one suite (unit | integration | all | port) with Node's own test runner through tsx.
# `port` is the Kafka port's own integration tests alone (test/integration/kafka-port-*): the quick check of the
# adapter after a change to src/kafka/.
# Node 20 does not expand globs for `node --test`, and with no file arguments it silently runs nothing,
# so the files are listed explicitly and the run fails when no test executed.
# NODE_BIN chooses the node binary: by default the Node.js 24 that georep brings (node_modules/.bin/node, which
# `npm test` finds first on PATH anyway); CI sets it to run the unit tests on Node 22 too. An unsupported
# Node is refused (exit 2) before any test runs.
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-all}"
case "$suite" in
  unit) dirs=(test/unit) ;;
  integration) dirs=(test/integration) ;;
  all) dirs=(test/unit test/integration) ;;
  port) dirs=(test/integration) ;;
  *) echo "usage: run-tests.sh unit|integration|all|port" >&2; exit 2 ;;
esac
pattern='*.test.ts'
[ "$suite" = port ] && pattern='kafka-port-*.test.ts'
mapfile -t files < <(find "${dirs[@]}" -name "$pattern" 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "run-tests: no test files found under ${dirs[*]}" >&2
  exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
node_bin="${NODE_BIN:-node_modules/.bin/node}"
echo "run-tests: $suite suite on Node $("$node_bin" --version)"
"$node_bin" --import tsx --input-type=module --eval "
  import { isSupportedNode, SUPPORTED_NODE_RANGE } from './src/cli/supported-node.ts';
  if (!isSupportedNode(process.version)) {
    console.error('run-tests: georep needs Node.js ' + SUPPORTED_NODE_RANGE + ', not ' + process.version + ' (' + process.execPath + ')' +
      '; npm test runs the tests on the Node.js 24 that georep brings.');
    process.exit(2);
  }"
set +e
"$node_bin" --import tsx --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$log" \
  --test-concurrency=1 --test-timeout="${GEOREP_TEST_TIMEOUT_MS:-300000}" "${files[@]}"
status=$?
set -e
tests=$(grep -E '^# tests [0-9]+' "$log" | tail -1 | awk '{print $3}')
passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
cancelled=$(grep -E '^# cancelled [0-9]+' "$log" | tail -1 | awk '{print $3}')
skipped=$(grep -E '^# skipped [0-9]+' "$log" | tail -1 | awk '{print $3}')
echo "# tests ${tests:-0}"
echo "# pass ${passed:-0}"
echo "# fail ${failed:-0}"
echo "# cancelled ${cancelled:-0}"
echo "# skipped ${skipped:-0}"
if [ "${tests:-0}" -eq 0 ]; then
  echo "run-tests: no test ran" >&2
  exit 1
fi
echo "${passed:-0} passed, $(( ${failed:-0} + ${cancelled:-0} )) failed, ${skipped:-0} skipped"
exit "$status"
