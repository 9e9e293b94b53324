#!/usr/bin/env bash
# The Python SDK's benchmark: prints ONE JSON line. `--quick` shortens the server-down phase to 10 s.
# Uses AGENTOPS_SDK_TEST_URL / AGENTOPS_SDK_TEST_API_KEY for the throughput figure when they are set.
set -euo pipefail
cd "$(dirname "$0")"
export PYTHONDONTWRITEBYTECODE=1
exec python3 bench.py "$@"
