#!/usr/bin/env bash
# The test command of the README: everything CI runs, in one place.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/lab/host-deps.sh
npm run --silent build
npx tsc -p tsconfig.test.json
npx biome check .
# One runner invocation so its closing lines count every test. Files run one at a time:
# the e2e files share the lab (one closed network per machine).
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 \
  'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts' 'test/lab/**/*.test.ts'
