#!/bin/sh
# azd's prepackage hook for the dashboard (azure.yaml, service web). The Static Web App is another origin than the
# function app, so the dashboard is built with the API's origin: this writes it where Vite reads it when azd runs
# `npm run build` next (.env.production.local; vite.config.ts also admits it in the CSP's connect-src). The function
# app's CORS allows the Static Web App's origin (infra/resources.bicep).
set -eu
cd "$(dirname "$0")/.."
# postpackage: the origin was for that package only; local builds (./agentops up, ./agentops test) stay same-origin.
if [ "${1:-}" = "--clean" ]; then rm -f .env.production.local; exit 0; fi
: "${SERVICE_API_URI:?is not in the azd environment: run azd provision first (it outputs the function app URL)}"
origin=${SERVICE_API_URI%/}
case "$origin" in
  https://*) ;;
  *) echo "SERVICE_API_URI must be an https origin, not $origin" >&2; exit 1 ;;
esac
printf 'VITE_AGENTOPS_API_ORIGIN=%s\n' "$origin" > .env.production.local
echo "the dashboard will call $origin"
