#!/usr/bin/env bash
# The test command of the README: everything CI runs, in one place.
set -euo pipefail
cd "$(dirname "$0")/.."
# Safety net: nothing in a test may reach IMDS or a real AWS endpoint. Tests that use moto
# point the SDK at it themselves; anything that forgets lands on a closed loopback port.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL=http://127.0.0.1:9
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN
bash test/lab/host-deps.sh
# Everything runs on Node 22, the runtime the agent ships on (the image, the Lambda), whatever
# Node the machine has: the AWS SDK warns on stderr under older ones.
node22="$(bash scripts/node22.sh)"
export PATH="$(dirname "$node22"):$PATH"
npm run --silent build
npx tsc -p tsconfig.test.json
npx biome check .
# One runner invocation so its closing lines count every test. Files run one at a time:
# the e2e files share the lab (one closed network per machine).
# Node 20's runner does not expand globs: the shell does. Pass a subset (unit, integration,
# e2e, lab) as arguments to run only those.
shopt -s globstar nullglob
suites=("${@:-unit integration lab e2e}")
files=()
for suite in ${suites[*]}; do files+=(test/"$suite"/**/*.test.ts); done
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
