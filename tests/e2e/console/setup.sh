#!/usr/bin/env bash
# Install the browser test's npm dependency (playwright-core, pinned by package-lock.json) into
# var/console-node/ of the repository. The browser is Debian's chromium (deploy/deps.sh test);
# playwright-core downloads nothing. Run by deploy/test.sh and by browser.sh when missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/../../../var/console-node"
mkdir -p "$dest"
if cmp -s "$here/package-lock.json" "$dest/package-lock.json" && \
   [ -f "$dest/node_modules/playwright-core/package.json" ]; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --silent)
