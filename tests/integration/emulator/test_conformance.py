"""scim2-tester (`scim2 ... test`) against the emulator in both modes (issue 3 item 9).

RFC-strict mode passes every check but two that no server can pass while keeping
ssoCustomerId `returned: never`; TeamViewer mode fails exactly the checks that the
documented quirks explain (docs/emulator.md, "Conformance"). Any change in either set
fails this test, so the documentation cannot drift from the emulator.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningEmulator

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCIM2 = Path(sys.executable).with_name("scim2")
STATUS_LINE = re.compile(r"^(SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED) (\S+)$")
SSO_URN = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"
EMAIL_RULE = "userName must be the user's e-mail address (TeamViewer identifies users by e-mail)"


def run_tester(emu: RunningEmulator) -> tuple[int, int, list[tuple[str, str]]]:
    """(exit code, number of successes, [(failed check, first reason line)])."""
    proc = subprocess.run(
        [str(SCIM2), "--url", emu.url, "-h", f"Authorization: Bearer {emu.token}", "test"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = proc.stdout.splitlines()
    successes, failures = 0, []
    for i, line in enumerate(lines):
        m = STATUS_LINE.match(line)
        if not m:
            continue
        if m.group(1) == "SUCCESS":
            successes += 1
        else:
            reason = lines[i + 1].strip() if i + 1 < len(lines) else ""
            failures.append((m.group(2), reason))
    assert successes + len(failures) > 40, proc.stdout + proc.stderr
    return proc.returncode, successes, failures


def test_rfc_strict_mode(emulator_factory: Callable[..., RunningEmulator]) -> None:
    code, successes, failures = run_tester(emulator_factory(rfc_strict=True))
    unexpected = f"PATCH modify() returned unexpected value for '{SSO_URN}'."
    # Justified: the extension's only attribute is writeOnly/returned never, so the
    # extension object is never returned; the tester expects it back holding `schemas`.
    assert failures == [
        ("check_add_attribute", unexpected),
        ("check_replace_attribute", unexpected),
    ]
    assert successes == 76
    assert code == 1


def test_teamviewer_mode(emulator_factory: Callable[..., RunningEmulator]) -> None:
    code, successes, failures = run_tester(emulator_factory())
    assert code == 1
    # Every failure has one cause: the tester creates users with a random non-e-mail
    # userName, which TeamViewer refuses (the user checks, and the group checks that
    # need a member user).
    assert {reason for _, reason in failures} == {EMAIL_RULE}
    assert Counter(check for check, _ in failures) == Counter(
        {
            "object_creation": 1,
            "object_query": 1,
            "object_query_without_id": 1,
            "object_query_with_attributes": 2,
            "object_list_with_attributes": 2,
            "search_with_attributes": 2,
            "object_replacement": 2,
            "object_deletion": 1,
            "check_add_attribute": 2,
            "check_remove_attribute": 2,
            "check_replace_attribute": 2,
        }
    )
    assert successes == 29
