#!/usr/bin/env bash
# The Python SDK's tests: unit tests (fake in-process servers) and the conformance suite against
# AGENTOPS_SDK_TEST_URL (skipped, naming the variable, when it is not set). The last line is
# `N passed, N failed, N skipped`; the exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
export PYTHONDONTWRITEBYTECODE=1
exec python3 -W default tests/run.py "$@"
