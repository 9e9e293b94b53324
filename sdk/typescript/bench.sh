#!/usr/bin/env bash
# The TypeScript SDK's benchmark: ONE JSON line on stdout. `--quick` shortens the server-down phase to 10 s.
# events_per_s needs AGENTOPS_SDK_TEST_URL and AGENTOPS_SDK_TEST_API_KEY (null without them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund --loglevel=error >&2; fi
node scripts/build.mjs >&2
exec node --expose-gc bench/bench.mjs "$@"
