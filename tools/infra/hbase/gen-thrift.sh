#!/usr/bin/env bash
# Regenerates libs/hbase/src/generated (Node Thrift2 client) from the IDL shipped inside the hbase-thrift
# jar that tools/infra resolves, with Debian's thrift-compiler. The output is committed; run this only
# when the HBase version changes.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
JAR="$(ls "$REPO"/.infra/hbase/libs/hbase-thrift-*.jar | head -n 1)"
OUT="$REPO/libs/hbase/src/generated"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
command -v thrift >/dev/null || apt-get install -y -qq thrift-compiler >/dev/null
(cd "$TMP" && unzip -q -o "$JAR" org/apache/hadoop/hbase/thrift2/hbase.thrift)
rm -rf "$OUT" && mkdir -p "$OUT"
thrift --gen js:node -out "$OUT" "$TMP/org/apache/hadoop/hbase/thrift2/hbase.thrift" 2>&1 | grep -v -e WARNING -e "^$" || true
echo "generated from $(basename "$JAR") with $(thrift --version)"
