#!/usr/bin/env sh
# Refresh deploy/base/rules/ and the Helm chart's files/rules/ from the repository's rules/, and
# the file list of the `autoremediator-rules` configMapGenerator in deploy/base/kustomization.yaml.
# Neither kustomize nor Helm may read files outside their directory, hence the copies; the tests
# in test/integration/deploy check that the three agree byte for byte.
# Usage: deploy/sync-rules.sh   (from anywhere; no arguments)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/rules"
dst="$root/deploy/base/rules"
chart="$root/deploy/helm/autoremediator/files/rules"
kustomization="$root/deploy/base/kustomization.yaml"

mkdir -p "$dst" "$chart"
rm -f "$dst"/*.yaml "$dst"/*.yml "$chart"/*.yaml "$chart"/*.yml
found=0
for f in "$src"/*.yaml "$src"/*.yml; do
  [ -f "$f" ] || continue
  cp "$f" "$dst/"
  cp "$f" "$chart/"
  found=1
done
[ "$found" = 1 ] || { echo "sync-rules: no *.yaml or *.yml in $src" >&2; exit 1; }

# Rewrite the lines between the BEGIN/END markers with one `- rules/<file>` per copied file.
list=$(mktemp)
trap 'rm -f "$list" "$list.new"' EXIT
for f in "$dst"/*.yaml "$dst"/*.yml; do
  [ -f "$f" ] && printf '      - rules/%s\n' "$(basename "$f")"
done | LC_ALL=C sort >"$list"
awk -v list="$list" '
  /# BEGIN rules/ { print; while ((getline line < list) > 0) print line; skip = 1; next }
  /# END rules/   { skip = 0 }
  !skip           { print }
' "$kustomization" >"$list.new"
grep -q '# END rules' "$list.new" || { echo "sync-rules: markers missing in $kustomization" >&2; exit 1; }
cat "$list.new" >"$kustomization"

echo "sync-rules: $(wc -l <"$list" | tr -d ' ') file(s) copied to deploy/base/rules/ and deploy/helm/autoremediator/files/rules/"
