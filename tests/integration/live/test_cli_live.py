"""`reconcile snapshot` and the shared live options, end to end over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.cli.live_options import read_live
from reconcile.live.profiles import Profile
from reconcile.live.snapshot import read_snapshot
from tests.integration.live.conftest import TOKEN, Emu

pytestmark = pytest.mark.integration


def invoke(args: list[str], **env: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, args, env={"RECONCILE_TARGET": "", **env}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def seed(emu: Emu) -> None:
    emu.seed(
        users=[{"userName": f"s{i}@example.test", "displayName": f"S {i}"} for i in range(5)],
        groups=[{"displayName": "G", "members": ["s1@example.test"]}],
    )


def test_snapshot_writes_the_live_state_and_never_the_token(emu: Emu, tmp_path: Path) -> None:
    seed(emu)
    out = tmp_path / "live.json"
    code, stdout, stderr = invoke(
        ["--debug", "snapshot", "--target", emu.base_url, "--out", str(out)],
        TEAMVIEWER_TOKEN=TOKEN,
    )
    assert code == 0, stderr
    text = out.read_text(encoding="utf-8")
    assert TOKEN not in text + stdout + stderr
    assert "wrote 5 users, 1 groups" in stderr
    live = read_snapshot(out).live
    assert sorted(u.email for u in live.users) == [f"s{i}@example.test" for i in range(5)]
    assert json.loads(text)["target"] == emu.base_url


def test_token_file_and_errors_with_debug_never_show_the_token(emu: Emu, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("TKN-wrong-" + TOKEN + "\n", encoding="utf-8")
    code, stdout, stderr = invoke(
        [
            "--debug",
            "snapshot",
            "--target",
            emu.base_url,
            "--token-file",
            str(token_file),
            "--out",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 1
    assert "Traceback" in stderr  # --debug shows it
    assert "error:" in stderr
    assert "401" in stderr
    assert TOKEN not in stdout + stderr
    assert not (tmp_path / "x.json").exists()


def test_errors_are_one_line_without_debug(tmp_path: Path) -> None:
    code, _, stderr = invoke(
        ["snapshot", "--target", "http://scim.example.test/scim/v2", "--out", str(tmp_path / "x")],
        TEAMVIEWER_TOKEN=TOKEN,
    )
    assert code == 1
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "plain HTTP" in lines[0]


def test_missing_token_says_what_to_do(emu: Emu, tmp_path: Path) -> None:
    code, _, stderr = invoke(
        ["snapshot", "--target", emu.base_url, "--out", str(tmp_path / "x")],
        TEAMVIEWER_TOKEN="",
    )
    assert code == 1
    assert "TEAMVIEWER_TOKEN" in stderr


def test_without_a_target_the_embedded_emulator_is_used_and_announced_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, stderr = invoke(["snapshot", "--out", "demo.json"])
    assert code == 0, stderr
    assert stderr.splitlines()[0].startswith("note: target is the embedded demo emulator")
    assert "not TeamViewer" in stderr.splitlines()[0]
    assert len(read_snapshot(tmp_path / "demo.json").live.users) > 0


def test_read_live_from_a_file_needs_no_service(emu: Emu, tmp_path: Path) -> None:
    seed(emu)
    out = tmp_path / "live.json"
    assert (
        invoke(["snapshot", "--target", emu.base_url, "--out", str(out)], TEAMVIEWER_TOKEN=TOKEN)[0]
        == 0
    )
    live, label = read_live(
        target="https://unreachable.invalid/scim/v2",
        live_file=out,
        profile=Profile.TEAMVIEWER,
        token_file=None,
    )
    assert len(live.users) == 5
    assert label == f"snapshot {out} of {emu.base_url}"
