#!/usr/bin/env bash
# Builds and packs @agentops/sdk into an output directory (default sdk/typescript/artifacts) and checks the tarball:
# dist/esm, dist/cjs, the types and the README are in it; tests, sources and examples are not.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
out="${1:-artifacts}"
mkdir -p "$out"
out=$(cd "$out" && pwd)  # absolute: the probe below installs it from another directory
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund --loglevel=error >&2; fi
node scripts/build.mjs >&2
tarball=$(npm pack --silent --pack-destination "$out" | tail -1)
path="$out/$tarball"
listing=$(tar -tzf "$path")
for required in package/package.json package/README.md package/dist/esm/index.js package/dist/cjs/index.js \
  package/dist/cjs/package.json package/dist/cjs/index.d.ts package/dist/types/index.d.ts; do
  grep -qx "$required" <<<"$listing" || { echo "missing from $path: $required" >&2; exit 1; }
done
if grep -E '^package/(test|src|examples|bench|scripts|node_modules)/' <<<"$listing" >&2; then
  echo "the tarball holds files it should not (above)" >&2
  exit 1
fi
# The packed package loads through both entry points from a project that installed it (no dependencies: offline).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
(cd "$probe" && npm init -y >/dev/null && npm install --no-audit --no-fund --offline --loglevel=error "$path" >&2 &&
  node -e "const s = require('@agentops/sdk'); if (typeof s.AgentOps !== 'function') process.exit(1)" &&
  node --input-type=module -e "import { AgentOps } from '@agentops/sdk'; if (typeof AgentOps !== 'function') process.exit(1)") ||
  { echo "the packed package does not load" >&2; exit 1; }
echo "$path"
