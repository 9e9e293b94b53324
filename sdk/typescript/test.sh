#!/usr/bin/env bash
# The TypeScript SDK's tests: unit tests (fake in-process servers), the OpenAI wrapper against the real `openai`
# package, both entry points, and the conformance suite + OTLP test against AGENTOPS_SDK_TEST_URL (skipped, naming
# the missing variable, when unset). Last line: "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

fail_early() { echo "$1" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2 || fail_early "npm ci failed"
fi
node scripts/build.mjs >&2 || fail_early "the build failed"
node node_modules/typescript/bin/tsc -p tsconfig.examples.json >&2 || fail_early "the examples do not type-check"
# An ES module and a CommonJS consumer (module node16) each get types from their own export condition.
node node_modules/typescript/bin/tsc -p tsconfig.types.json >&2 || fail_early "the package's types do not resolve for ESM/CJS consumers"

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
# One file at a time keeps the conformance suite (which loads the shared server) from competing with timing tests.
node --test --test-concurrency=1 --test-reporter=tap test/*.test.mjs >"$tap" 2>&1
status=$?
grep -E '^(not ok|# Subtest|ok )|^# (tests|pass|fail|cancelled|skipped|todo) ' "$tap" | grep -v '^# Subtest' >&2
grep -B2 -A30 '^not ok' "$tap" | head -200 >&2
count() { local n; n=$(grep -E "^# $1 [0-9]+" "$tap" | tail -1 | awk '{print $3}'); echo "${n:-0}"; }
passed=$(count pass); failed=$(( $(count fail) + $(count cancelled) )); skipped=$(( $(count skipped) + $(count todo) ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
