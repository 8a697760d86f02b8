#!/usr/bin/env bash
# Refactoring guard: run every bundled case into DEST/<case>, then (with --against REF) compare every output
# byte with the same files of a reference folder made the same way before the change.
#   scripts/outputs_identical.sh /tmp/before            # make the reference
#   scripts/outputs_identical.sh /tmp/after --against /tmp/before
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$1; ref=${3:-}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}
for toml in inputs/tumen/tumen.toml inputs/jakobselva/jakobselva.toml inputs/rio_grande/rio_grande.toml; do
  case=$(basename "$toml" .toml)
  rm -rf "$dest/$case"; mkdir -p "$dest"
  python -m pipeline.cli run -q --config "$toml" --out "$dest/$case" >/dev/null
done
# two variants of the default case, so the other channel line and the other maritime method are covered too
for variant in "--border-line middle" "--maritime-method equidistance"; do
  name=tumen${variant// /_}
  rm -rf "$dest/$name"
  python -m pipeline.cli run -q $variant --out "$dest/$name" >/dev/null || true
done
if [ -n "$ref" ]; then
  status=0
  for f in $(cd "$ref" && find . -type f | sort); do
    if ! cmp -s "$ref/$f" "$dest/$f"; then echo "DIFFERS: $f"; status=1; fi
  done
  for f in $(cd "$dest" && find . -type f | sort); do
    [ -e "$ref/$f" ] || { echo "NEW: $f"; status=1; }
  done
  n=$(cd "$ref" && find . -type f | wc -l)
  [ $status = 0 ] && echo "all $n output files byte-identical"
  exit $status
fi
