#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis: every operation gets the
# document's examples and generated inputs (valid and invalid), with an API key, and every response
# must be declared, well-formed and never a server error. The server is the real binary on the
# embedded default (its own Postgres and Redis in a temporary folder), limits raised so that the
# fuzzer measures the API rather than the rate limiter.
#
# usage: api-fuzz.sh SERVER_BIN        (report: target/schemathesis/)
set -euo pipefail

server_bin=${1:?usage: api-fuzz.sh SERVER_BIN}
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv-fuzz"
version=4.32.5
report="$root/target/schemathesis"
examples=${FUZZ_MAX_EXAMPLES:-25}

# The fuzzer lives in a venv of its own inside the checkout (ignored by git), installed from PyPI.
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
fi

# shellcheck source=serve-lib.sh
. "$(dirname "$0")/serve-lib.sh"
start_server "$server_bin" \
  API_LIMIT_ANONYMOUS=100000/min,10000000/day API_LIMIT_FREE=100000/min,10000000/day \
  AUTH_FREE_ATTEMPTS=1000

# An account and a key, the way a developer gets one: register in the browser's form, then ask
# the API for a key with the session.
password="fuzz-$(date +%s)-Passw0rd"
form register username=fuzzer "password=$password" "password_confirm=$password"
key=$(new_key fuzz)

# Runs from a scratch folder: schemathesis keeps state files in its working directory.
rm -rf "$report"
mkdir -p "$report"
cd "$dir"
status=0
"$venv/bin/schemathesis" --config-file "$root/server/scripts/schemathesis.toml" \
  run "$base/api/v1/openapi.json" \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" \
  --seed 42 \
  --workers 1 \
  --generation-database none \
  --request-timeout 30 \
  --header "X-API-Key: $key" \
  --report junit --report-dir "$report" \
  >"$report/output.txt" 2>&1 || status=$?
# The summary (operations, test cases, failures) on the console; the whole run in the report.
sed -n '/SUMMARY/,$p' "$report/output.txt"
if [ "$status" != 0 ]; then
  echo "schemathesis found failures: see $report/output.txt" >&2
  grep -E "panicked|ERROR" "$dir/server.log" | head -20 >&2 || true
fi
exit "$status"
