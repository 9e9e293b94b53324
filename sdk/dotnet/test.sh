#!/usr/bin/env bash
# Builds and runs the .NET SDK's tests: unit tests of the transport, async context and OpenAI wrappers against
# in-process fakes, and the shared conformance scenarios (sdk/conformance) plus the OpenTelemetry export test against
# AGENTOPS_SDK_TEST_URL (reported as skipped, naming the variable, when it is unset).
# Last line: "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
project=tests/AgentOps.Sdk.Tests/AgentOps.Sdk.Tests.csproj
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" 2>&1; then
  # One retry: parallel builds on a shared machine sometimes meet a file lock.
  if ! dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" 2>&1; then
    cat "$log"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi

dotnet test "$project" -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '(Passed|Failed)!? +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -1)
failed=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
passed=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
