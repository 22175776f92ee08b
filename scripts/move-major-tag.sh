#!/usr/bin/env bash
# Points the major tag (v1) at the release tag given (v1.4.2) and pushes it: what users pin with
# `uses: owner/repo@v1`. Used by .github/workflows/release.yml; works by hand too.
set -euo pipefail
tag=${1:?usage: scripts/move-major-tag.sh vX.Y.Z}
if [[ ! $tag =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]]; then
  echo "not a release tag (vX.Y.Z): $tag" >&2
  exit 1
fi
major="v${BASH_REMATCH[1]}"
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git tag -fa "$major" -m "$major -> $tag" "$tag^{commit}"
git push --force origin "refs/tags/$major"
echo "$major now points at $tag"
