#!/usr/bin/env bash
# Installs hbase-rpc-client 0.1.15 into a scratch folder (it is not a project dependency) and runs
# rpc-client-check.ts against the local HBase started by tools/infra/infra.sh up hbase.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SCRATCH="${GS_INFRA_DIR:-$REPO/.infra}/hbase-rpc-client"
mkdir -p "$SCRATCH"
[ -d "$SCRATCH/node_modules/hbase-rpc-client" ] || npm install --prefix "$SCRATCH" --no-save --no-audit --no-fund hbase-rpc-client@0.1.15 >/dev/null
cd "$REPO"
TS_NODE_PROJECT="$REPO/tsconfig.base.json" node --no-deprecation -r ts-node/register/transpile-only -r tsconfig-paths/register \
  tools/infra/hbase/rpc-client-check.ts "$SCRATCH/node_modules/hbase-rpc-client"
