#!/usr/bin/env bash
# Build the wheel and sdist, install the wheel into a fresh virtual environment from
# requirements.lock (hashes required), and run it outside the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python -m build --outdir "$work/dist" . > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
ls "$work"/dist/reconcile-*.whl "$work"/dist/reconcile-*.tar.gz > /dev/null
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$work"/dist/reconcile-*.whl
"$work/venv/bin/python" -m pip check
cd "$work"  # nothing from the source tree on the path
expected="$("$work/venv/bin/python" -c 'import reconcile; print(reconcile.__version__)')"
test "$("$work/venv/bin/reconcile" version)" = "$expected"
test "$("$work/venv/bin/reconcile" --version)" = "$expected"
"$work/venv/bin/reconcile" validate "$repo/desired_state"
echo "wheel and sdist built; the wheel installs from the lock and runs (version $expected)"
