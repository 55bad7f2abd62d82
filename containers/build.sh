#!/usr/bin/env bash
# Build the Apptainer images from the repository root (needs apptainer and internet access; on
# most clusters run it on a login or build node, with APPTAINER_BUILD_ARGS=--fakeroot where
# root is not available).
#   containers/build.sh            build both images
#   containers/build.sh cpu|vllm   build one
set -euo pipefail
cd "$(dirname "$0")/.."
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(cpu vllm)
for image in "${images[@]}"; do
    # shellcheck disable=SC2086  # APPTAINER_BUILD_ARGS holds several options
    apptainer build ${APPTAINER_BUILD_ARGS:-} "containers/personascope-$image.sif" \
        "containers/personascope-$image.def"
done
