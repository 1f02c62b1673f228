#!/usr/bin/env bash
# Convert the musicnn weights of the PyPI wheel (musicnn 0.1.0, ISC) to ONNX + safetensors.
#
#   usage (from anywhere): crates/timbral-embed/model/convert.sh [--fixtures]
#
# Makes a throwaway venv (python3 -m venv; TensorFlow 2.15 CPU, the last release with Keras 2, so
# the wheel's tf.compat.v1.layers graph builds as is), downloads the wheel with pip and checks its
# sha256, unpacks it, and runs convert.py, which writes next to this script:
#   MSD_musicnn.onnx MSD_musicnn.safetensors MTT_musicnn.onnx MTT_musicnn.safetensors
#   LICENSE-musicnn.md PROVENANCE.md
# after checking onnxruntime and numpy_forward.py (safetensors only) against TensorFlow.
#
# --fixtures: then also runs ../tests/fixtures/make_fixtures.py in the same venv, with TensorFlow
#   (the *_tf reference outputs of network.safetensors). Needs the development corpus:
#   /work/shared/scripts/fetch-dev-audio /tmp/dev-audio (or set DEV_AUDIO).
#
# Environment: VENV=DIR to use/keep a venv at DIR instead of a throwaway one;
#   DEV_AUDIO=DIR (default /tmp/dev-audio when it exists) adds corpus patches to the verification.
# Needs: python3 (3.11 used), network access to PyPI, ~2 GB of temporary space, ~2 minutes of CPU.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
fixtures=0
for a in "$@"; do
  case "$a" in
    --fixtures) fixtures=1 ;;
    *) echo "usage: $0 [--fixtures]" >&2; exit 2 ;;
  esac
done

WHEEL=musicnn-0.1.0-py3-none-any.whl
WHEEL_SHA256=f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa

work=$(mktemp -d /tmp/timbral-musicnn.XXXXXX)
trap 'rm -rf "$work"' EXIT
venv=${VENV:-$work/venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
# onnx 1.17: onnx >= 1.18 needs ml_dtypes >= 0.5, tensorflow 2.15 pins ml_dtypes ~= 0.3
"$venv/bin/pip" install -q \
  "tensorflow-cpu==2.15.1" "numpy==1.26.4" "protobuf==4.25.9" "ml-dtypes==0.3.2" \
  "tf2onnx==1.17.0" "onnx==1.17.0" "onnxruntime==1.32.0" "safetensors==0.8.0" \
  "librosa==0.11.0" "soundfile==0.14.0" "soxr==1.1.0" "scipy==1.17.1" "numba==0.68.1"

# the wheel: pip checks the hash (--require-hashes), and so do we
echo "musicnn==0.1.0 --hash=sha256:$WHEEL_SHA256" > "$work/musicnn.txt"
"$venv/bin/pip" download -q --no-deps --only-binary=:all: --require-hashes -r "$work/musicnn.txt" -d "$work/dl"
echo "$WHEEL_SHA256  $work/dl/$WHEEL" | sha256sum -c -
"$venv/bin/python" -m zipfile -e "$work/dl/$WHEEL" "$work/wheel"

dev_audio=${DEV_AUDIO:-}
if [ -z "$dev_audio" ] && [ -f /tmp/dev-audio/METADATA.csv ]; then dev_audio=/tmp/dev-audio; fi

# PYTHONHASHSEED: tf2onnx orders nodes through sets; a fixed seed makes the .onnx byte-reproducible
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore PYTHONHASHSEED=0
"$venv/bin/python" "$here/convert.py" \
  --musicnn-dir "$work/wheel" --wheel "$work/dl/$WHEEL" --out-dir "$here" \
  --clip "$repo/crates/timbral-ingest/tests/fixtures/clip.ogg" --dev-audio "$dev_audio"

if [ "$fixtures" = 1 ]; then
  "$venv/bin/python" "$repo/crates/timbral-embed/tests/fixtures/make_fixtures.py" \
    --musicnn-dir "$work/wheel" --dev-audio "${dev_audio:-/tmp/dev-audio}"
fi
