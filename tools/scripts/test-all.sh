#!/usr/bin/env bash
# The whole test command: contracts, lint, types, unit tests, then integration tests against real
# Kafka, ClickHouse, HBase, Redis and a kube-apiserver (started here through tools/infra if they are not running).
# Prints the time of each phase and ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true FORCE_COLOR=0

failed_phases=()
phase() {
  local name="$1"; shift
  local t0; t0=$(date +%s)
  echo "=== $name"
  if "$@"; then
    echo "=== $name: ok ($(( $(date +%s) - t0 )) s)"
  else
    echo "=== $name: FAILED ($(( $(date +%s) - t0 )) s)"
    failed_phases+=("$name")
  fi
}

proto_check() {
  # Generated contracts must match proto/ exactly: regenerate and compare with what is committed.
  npx nx run contracts:proto-lint --skip-nx-cache &&
    npx nx run contracts:generate --skip-nx-cache &&
    git diff --exit-code --stat -- libs/contracts/src/gen &&
    [ -z "$(git status --porcelain -- libs/contracts/src/gen)" ]
}

export GS_TEST_RESULTS_DIR="$PWD/tmp/test-results-$$"
rm -rf "$GS_TEST_RESULTS_DIR"
phase "infrastructure up" bash tools/infra/infra.sh up
phase "infrastructure status" bash tools/infra/infra.sh status
phase "proto lint + generated code up to date" proto_check
phase "lint" npx nx run-many -t lint --skip-nx-cache --output-style=static
phase "typecheck" npx nx run-many -t typecheck --skip-nx-cache --output-style=static
phase "unit tests" npx nx run-many -t test --skip-nx-cache --output-style=static
# The projects whose tests use the kube-apiserver run first; then it is stopped, so that the timing-bound
# tests after them (the outage delays, the embedded soak) do not share the 2 cores with it.
KUBE_PROJECTS=edgetask-feature,edge-controller,scheduler,scheduler-feature,workspace-checks
phase "integration tests with the kube-apiserver ($KUBE_PROJECTS)" npx nx run-many -t integration -p "$KUBE_PROJECTS" --skip-nx-cache --output-style=static --parallel=1
phase "kube-apiserver down" bash tools/infra/infra.sh down kube
phase "integration tests (real Kafka, ClickHouse, HBase, Redis)" npx nx run-many -t integration --exclude="$KUBE_PROJECTS" --skip-nx-cache --output-style=static --parallel=1

node -e '
const fs = require("fs"), path = require("path");
const dir = process.env.GS_TEST_RESULTS_DIR;
const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
const sum = { passed: 0, failed: 0, skipped: 0 };
for (const f of files) { const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")); for (const k in sum) sum[k] += r[k]; }
console.log(`jest runs: ${files.length}`);
console.log(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
process.exit(sum.failed > 0 || files.length === 0 ? 1 : 0);
' || failed_phases+=("test summary")
if [ ${#failed_phases[@]} -gt 0 ]; then
  echo "FAILED phases: ${failed_phases[*]}"
  exit 1
fi
