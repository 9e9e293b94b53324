#!/usr/bin/env bash
# Builds the sdist and the wheel of agentops-sdk into an output directory (default sdk/python/dist, git-ignored).
# Uses `python3 -m build --no-isolation` (Debian: apt-get install python3-build python3-wheel) when available,
# else `pip wheel` (with the `wheel` package) plus setuptools' sdist, else pack_wheel.py (standard library) for
# the wheel; all without the network.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c "import build, wheel" >/dev/null 2>&1; then
    echo "pack: $py -m build --no-isolation" >&2
    "$py" -m build --no-isolation --sdist --wheel --outdir "$out" . >&2
    rm -rf build agentops_sdk.egg-info
    ls "$out"
    exit 0
  fi
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" "$here/build" "$here/agentops_sdk.egg-info"' EXIT
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c "import wheel, setuptools" >/dev/null 2>&1; then
    echo "pack: python -m build is not available; $py -m pip wheel + setuptools' sdist" >&2
    "$py" -m pip wheel --no-deps --no-build-isolation --no-index -w "$out" . >&2
    "$py" -c "import sys; from setuptools.build_meta import build_sdist; build_sdist(sys.argv[1])" "$out" >&2
    ls "$out"
    exit 0
  fi
done
echo "pack: neither build nor wheel is available; the standard-library wheel writer + setuptools' sdist" >&2
python3 pack_wheel.py "$out" >&2
python3 -c "import sys; from setuptools.build_meta import build_sdist; build_sdist(sys.argv[1])" "$out" >&2
ls "$out"
