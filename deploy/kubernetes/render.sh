#!/usr/bin/env bash
# Renders every overlay into rendered/<overlay>.yaml, the files KubernetesManifestsTest validates
# (it also renders them again with kubectl, where kubectl exists, and fails on a difference).
# Run it after any change under base/ or overlays/ and commit the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for overlay in "$here"/overlays/*/; do
    name=$(basename "$overlay")
    kubectl kustomize "$overlay" > "$here/rendered/$name.yaml"
    echo "rendered/$name.yaml"
done
