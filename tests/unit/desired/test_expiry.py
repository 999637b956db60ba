"""R24 `expires` values: parsing, the loader's forms, `validate` and `expiring`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.desired import DesiredStateError, load_desired
from reconcile.desired.expiry import ExpiresError, parse_duration, parse_expires, parse_now

YAML = """\
users:
  - email: Ann@X.test
    display_name: Ann
    expires: 2027-01-10
  - {email: bob@x.test, display_name: Bob}
groups:
  eng:
    name: Engineering
    members:
      - ann@x.test
      - {email: BOB@x.test, expires: "2027-03-31T10:00:00+02:00"}
  old:
    name: Old
    state: deleted
    members:
      - {email: bob@x.test, expires: 2026-01-01}
"""


def test_r24_a_date_means_through_the_end_of_that_day_utc() -> None:
    assert parse_expires("2027-03-31") == (datetime(2027, 4, 1, tzinfo=UTC), "2027-03-31")


def test_r24_a_timestamp_with_an_offset_is_exact() -> None:
    at, text = parse_expires(" 2027-03-31T10:00:00+02:00 ")
    assert at == datetime(2027, 3, 31, 8, tzinfo=UTC)
    assert text == "2027-03-31T10:00:00+02:00"
    assert parse_expires("2027-03-31T08:00:00Z")[0] == at


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2027-03-31T10:00:00", "has no UTC offset"),
        ("2027-02-29", "not a calendar date"),
        ("31.03.2027", "not a date or a timestamp"),
        ("2027-03-31T25:00:00Z", "not a valid timestamp"),
        ("", "not a date or a timestamp"),
    ],
)
def test_r24_malformed_expiries_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(ExpiresError, match=says):
        parse_expires(text)


def test_r24_now_and_durations() -> None:
    assert parse_now("2027-04-01") == datetime(2027, 4, 1, tzinfo=UTC)
    assert parse_now("2027-04-01T09:00:00+01:00") == datetime(2027, 4, 1, 8, tzinfo=UTC)
    assert parse_duration("14d") == timedelta(days=14)
    assert parse_duration("2W") == timedelta(weeks=2)
    assert parse_duration("12h") == timedelta(hours=12)
    with pytest.raises(ExpiresError, match="not a duration"):
        parse_duration("fortnight")


def test_r24_the_loader_reads_both_forms_with_their_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    desired = load_desired(tmp_path, environ={}).desired
    ann = desired.users["ann@x.test"]
    assert ann.expires is not None
    assert ann.expires.at == datetime(2027, 1, 11, tzinfo=UTC)
    assert str(ann.expires.location) == f"{tmp_path}/a.yaml:4:14"
    eng = desired.groups["eng"]
    assert eng.members == ("ann@x.test", "bob@x.test")  # e-mail keys (R1), both forms
    assert set(eng.expiries) == {"bob@x.test"}
    assert eng.expiries["bob@x.test"].text == "2027-03-31T10:00:00+02:00"
    assert str(eng.expiries["bob@x.test"].location) == f"{tmp_path}/a.yaml:11:38"


def test_r24_expiries_enter_the_desired_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    timed = load_desired(tmp_path, environ={}).desired
    (tmp_path / "a.yaml").write_text(YAML.replace("2027-01-10", "2027-01-11"), encoding="utf-8")
    later = load_desired(tmp_path, environ={}).desired
    assert timed.fingerprint != later.fingerprint


def test_r24_validate_warns_about_past_expiries_without_failing(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(tmp_path), "--now", "2027-02-01"])
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"{tmp_path}/a.yaml:4:14: warning: Ann@X.test's access expired")
    # the deleted group's expired member is not a clean-up candidate of R24 (R9 removes it)
    quiet = CliRunner().invoke(app, ["validate", str(tmp_path), "--now", "2027-01-01"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""


def test_r24_expiring_lists_upcoming_expiries_within_the_window(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    args = ["expiring", str(tmp_path), "--now", "2027-03-20T00:00:00Z"]
    result = CliRunner().invoke(app, [*args, "--within", "14d", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(result.stdout)
    assert [(e["email"], e["group"], e["expires"], e["declared_at"]) for e in doc["expiring"]] == [
        ("bob@x.test", "eng", "2027-03-31T10:00:00+02:00", f"{tmp_path}/a.yaml:11:38")
    ]
    # the default window is tenant.expiry_warning_days (7): 11 days ahead is outside
    assert "No expiries" in CliRunner().invoke(app, args).stdout
    text = CliRunner().invoke(app, [*args, "--within", "2w"]).stdout
    assert "bob@x.test  eng (Engineering)  in 11 days  declared at" in text
    markdown = CliRunner().invoke(app, [*args, "--within", "2w", "--format", "markdown"]).stdout
    assert "| `2027-03-31T10:00:00+02:00` | `bob@x.test` | eng (Engineering) |" in markdown


def test_r24_bad_now_and_within_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    bad_now = CliRunner().invoke(app, ["expiring", str(tmp_path), "--now", "tomorrow"])
    assert bad_now.exit_code == 1
    assert "--now 'tomorrow' is not a date or a timestamp" in bad_now.stderr
    bad_within = CliRunner().invoke(app, ["expiring", str(tmp_path), "--within", "soon"])
    assert bad_within.exit_code == 1
    assert "--within 'soon' is not a duration" in bad_within.stderr


def test_r24_the_json_schema_knows_both_forms() -> None:
    import jsonschema

    from reconcile.desired import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    good = {
        "users": [{"email": "a@x.test", "display_name": "A", "expires": "2027-03-31"}],
        "groups": {"g": {"name": "G", "members": [
            "a@x.test", {"email": "b@x.test", "expires": "2027-03-31T10:00:00+02:00"}]}},
        "tenant": {"expiry_warning_days": 14},
    }  # fmt: skip
    assert not list(validator.iter_errors(good))
    for bad in (
        {"groups": {"g": {"name": "G", "members": [{"email": "b@x.test"}]}}},
        {"groups": {"g": {"name": "G", "members": [{"email": "b@x.test", "expires": "soon"}]}}},
        {"users": [{"email": "a@x.test", "display_name": "A", "expires": "31.03.2027"}]},
        {"tenant": {"expiry_warning_days": -1}},
    ):
        assert list(validator.iter_errors(bad)), bad


def test_r24_only_expired_plans_afresh_so_a_saved_plan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "plan.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["apply", str(tmp_path), "--plan", str(tmp_path / "plan.json"), "--only-expired"]
    )
    assert result.exit_code == 1
    assert "--only-expired plans afresh" in result.stderr


def test_r23_an_expiry_on_a_protected_user_is_an_error_at_the_expiry(tmp_path: Path) -> None:
    protected = "tenant:\n  protected_users: [ann@x.test, Bob@X.test]\n"
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "tenant.yaml").write_text(protected, encoding="utf-8")
    with pytest.raises(DesiredStateError) as caught:
        load_desired(tmp_path, environ={})
    text = str(caught.value)
    assert f"{tmp_path}/a.yaml:4:14: 'Ann@X.test' has an expiry (R24)" in text
    assert f"{tmp_path}/a.yaml:11:38: 'bob@x.test' has an expiry in group 'eng' (R24)" in text
    assert f"tenant.protected_users at {tmp_path}/tenant.yaml:2:" in text
    # The deleted group's expiry changes nothing (R9) and is not reported.
    assert "group 'old'" not in text


def test_r23_protected_users_without_expiries_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "tenant.yaml").write_text("tenant:\n  protected_users: [carl@x.test]\n")
    assert load_desired(tmp_path, environ={}).desired.tenant.protected_users == {"carl@x.test"}
