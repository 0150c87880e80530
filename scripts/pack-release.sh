#!/usr/bin/env bash
# Makes the tarball that hosts install georep from (`npm install --global --prefix … georep-<version>.tgz`;
# see "Running in production" in README.md). It is `npm pack` with one addition: npm-shrinkwrap.json, a copy
# of package-lock.json. npm never packs package-lock.json, so without it every host would resolve the
# dependencies' version ranges on the day it installs; with it, every host gets the tree that was tested.
# Usage: scripts/pack-release.sh [DESTINATION_DIR]   (prints the tarball's path)
set -euo pipefail
cd "$(dirname "$0")/.."
destination="$(realpath "${1:-.}")"
cp package-lock.json npm-shrinkwrap.json
trap 'rm -f npm-shrinkwrap.json' EXIT
# `prepare` builds dist/ first; --silent keeps npm's file listing out of the output.
tarball="$(npm pack --silent --pack-destination "$destination" | tail -n 1)"
if ! tar -tzf "$destination/$tarball" package/npm-shrinkwrap.json >/dev/null 2>&1; then
  echo "pack-release: $tarball lacks npm-shrinkwrap.json" >&2
  exit 1
fi
echo "$destination/$tarball"
