#!/usr/bin/env bash
# Makes the tarball that hosts install georep from (`npm install --global --prefix … georep-<version>.tgz`;
# see "Running in production" in docs/operations.md). It is `npm pack` with two changes:
# - npm-shrinkwrap.json, a copy of package-lock.json. npm never packs package-lock.json, so without it every
#   host would resolve the dependencies' version ranges on the day it installs; with it, every host gets
#   the tree that was tested (the Node.js 24 binary included).
# - no `prepare` script in the packed package.json: dist/ is built here, and npm counts a tarball's
#   `prepare` as an install script to approve (npm 11 warns, --strict-allow-scripts refuses the install).
# Usage: scripts/pack-release.sh [DESTINATION_DIR]   (prints the tarball's path)
set -euo pipefail
cd "$(dirname "$0")/.."
destination="$(realpath "${1:-.}")"
manifest_backup="$(mktemp)"
cp package.json "$manifest_backup"
cp package-lock.json npm-shrinkwrap.json
trap 'cp "$manifest_backup" package.json; rm -f "$manifest_backup" npm-shrinkwrap.json' EXIT
npm run --silent build
npm pkg delete scripts.prepare
# --silent keeps npm's file listing out of the output.
tarball="$(npm pack --silent --pack-destination "$destination" | tail -n 1)"
if ! tar -tzf "$destination/$tarball" package/npm-shrinkwrap.json >/dev/null 2>&1; then
  echo "pack-release: $tarball lacks npm-shrinkwrap.json" >&2
  exit 1
fi
if tar -xzOf "$destination/$tarball" package/package.json | grep -q '"prepare"'; then
  echo "pack-release: $tarball still has a prepare script" >&2
  exit 1
fi
echo "$destination/$tarball"
