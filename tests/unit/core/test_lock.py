"""requirements.lock is in sync with pyproject.toml and installable with --require-hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]
LOCK = REPO / "requirements.lock"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+) \\$")
_HASH = re.compile(r"^ {4}--hash=sha256:[0-9a-f]{64}( \\)?$")


def _lock() -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes), checking every line's shape."""
    entries: dict[str, tuple[Version, int]] = {}
    current = None
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := _ENTRY.match(line):
            current = canonicalize_name(match["name"])
            assert current not in entries, f"requirements.lock:{number}: {current} twice"
            entries[current] = (Version(match["version"]), 0)
        elif _HASH.match(line) and current is not None:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
        else:
            pytest.fail(f"requirements.lock:{number}: not a pin or a hash: {line!r}")
    return entries


def _requirements() -> list[Requirement]:
    runtime = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    build = [Requirement(text) for text in PYPROJECT["build-system"]["requires"]]
    return runtime + build


def test_every_pin_has_hashes() -> None:
    entries = _lock()
    assert len(entries) >= len(_requirements())
    assert all(hashes >= 1 for _, hashes in entries.values()), entries


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_every_dependency_of_pyproject_is_locked_within_its_bounds(
    requirement: Requirement,
) -> None:
    entries = _lock()
    name = canonicalize_name(requirement.name)
    assert name in entries, f"{name} is not in requirements.lock: run scripts/lock.sh"
    version, _ = entries[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"requirements.lock pins {name}=={version}, outside {requirement}: run scripts/lock.sh"
    )


def test_the_lock_names_no_index_and_no_local_path() -> None:
    text = LOCK.read_text(encoding="utf-8")
    assert "--index-url" not in text
    assert "--find-links" not in text
    assert "file://" not in text
    assert "/work/" not in text


def test_the_lock_is_made_by_the_documented_command() -> None:
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    [command] = [line for line in lines if line.startswith("#    pip-compile ")]
    script = (REPO / "scripts" / "lock.sh").read_text(encoding="utf-8")
    options = re.findall(r"--[a-z-]+", command)
    assert options, "requirements.lock has no pip-compile header"
    for option in options:
        assert option in script, f"{option} in the lock's header but not in scripts/lock.sh"
