#!/usr/bin/env bash
# Size benchmark: min+gzip bytes of our SDK builds beside @snowplow/browser-tracker,
# posthog-js and @segment/analytics-next, all bundled by esbuild in this same run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
(cd "$root/sdk" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run --silent build >/dev/null)
cd "$here/sdk-size"
[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
node measure.mjs
