#!/usr/bin/env bash
# The README's test command runs this after installing: the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pytest -q -p no:cacheprovider "$@"
