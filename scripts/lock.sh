#!/usr/bin/env bash
# Regenerate requirements.lock from pyproject.toml: exact versions with their hashes, for
# `pip install --require-hashes` (the action, the GitLab example). Run after changing a
# dependency in pyproject.toml; the unit test tests/unit/core/test_lock.py fails until then.
# `--upgrade` moves every pin to the newest release that satisfies pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-find-links --no-emit-index-url --all-build-deps \
  --output-file=requirements.lock "$@" pyproject.toml
