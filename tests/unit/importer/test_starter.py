"""Import from nothing (issue 15 item 1): the starter desired state's first plan is empty.

The files the importer writes are read back by the real loader and planned against the
very live state they came from: for any live tenant (users in no group, inactive users,
members outside the company, empty groups, odd names and spacing) the plan has no
operations, and every live user is either declared or listed with what to do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.desired import DesiredStateError, load_desired
from reconcile.desired.model import Safety, UnmanagedUsers
from reconcile.importer import build_starter, dump_yaml, starter_tenant_yaml
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.plan import plan

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOCALS = ["ann", "Bob", "cy.d", "dee", "e$f{g}", "x${Y}z", "0o17", "true", "null"]
DOMAINS = ["x.test", "Y.test"]
ODD_NAMES = [
    "Ann Lee",
    " Ann  Lee ",
    "",
    "   ",
    "0o17",
    "1e3",
    "true",
    "~",
    "- dash",
    "${HOME}",
    "$${x}",
    "a: b # c",
    "line\nbreak",
    "tab\there",
    "Zoë Ærø",
    "'quoted'",
    '"dq"',
]
GROUP_NAMES = ["Eng", " Eng", "Eng ", "Ops", "Sales", "123", "${X}", "", "Eng"]


def names() -> st.SearchStrategy[str]:
    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    return st.one_of(st.sampled_from(ODD_NAMES), text)


@st.composite
def live_tenants(draw: st.DrawFn) -> Live:
    addresses = draw(
        st.lists(
            st.tuples(st.sampled_from(LOCALS), st.sampled_from(DOMAINS)),
            unique=True,
            max_size=10,
        )
    )
    users = [
        LiveUser(
            id=f"u{index}",
            email=f"{local}@{domain}",
            display_name=draw(names()),
            active=draw(st.booleans()),
        )
        for index, (local, domain) in enumerate(addresses)
    ]
    if draw(st.booleans()):  # an address that the loader refuses, and a duplicate by case
        users.append(LiveUser(id="u90", email="zoë@x.test", display_name="Zoe", active=True))
    if users and draw(st.booleans()):
        users.append(
            LiveUser(id="u91", email=users[0].email.upper(), display_name="Dup", active=True)
        )
    ids = [u.id for u in users] + ["u-foreign-1", "u-foreign-2"]  # outside the company
    groups = [
        LiveGroup(
            id=f"g{index}",
            name=draw(st.one_of(st.sampled_from(GROUP_NAMES), names())),
            member_ids=frozenset(draw(st.lists(st.sampled_from(ids), max_size=6))),
        )
        for index in range(draw(st.integers(0, 5)))
    ]
    return Live.build(users=users, groups=groups)


@SETTINGS
@given(live=live_tenants(), groups=st.booleans())
def test_first_plan_after_import_from_nothing_is_empty(live: Live, groups: bool) -> None:
    starter = build_starter(live=live, groups=groups)
    with tempfile.TemporaryDirectory() as folder:
        for name, text in starter.files(live=live).items():
            Path(folder, name).write_text(text, encoding="utf-8")
        desired = load_desired(Path(folder), environ={"HOME": "/nowhere"}).desired
    result = plan(desired, live)
    assert result.operations == (), result.operations
    # Every live user is accounted for: declared, or listed with what to do.
    declared = {u.email.strip() for u in starter.users}
    left_out = {item.subject for item in starter.left_out_users}
    assert declared | left_out == {u.email for u in live.users}
    assert not declared & left_out
    assert {u.key for u in starter.users} == set(desired.users)
    # The names read back are the live names: nothing was lost on the way through YAML.
    for user in starter.users:
        assert desired.users[user.key].effective_name == user.display_name.strip()
    if groups:
        assert starter.groups is not None
        pinned = {g.id for g in desired.groups.values()}
        assert pinned == {group.id for _, group in starter.groups}
        for _, group in starter.groups:
            assert any(g.name == group.name for g in desired.groups.values())


def test_starter_declares_what_it_can_and_explains_the_rest() -> None:
    live = Live.build(
        users=[
            LiveUser(id="u1", email="ann@x.test", display_name="Ann Lee", active=True),
            LiveUser(id="u2", email="bob@x.test", display_name="Bob", active=True),  # no group
            LiveUser(id="u3", email="cy@x.test", display_name="Cy", active=False),  # no group
            LiveUser(id="u4", email="dee@x.test", display_name="   ", active=True),  # no name
        ],
        groups=[
            LiveGroup(id="g1", name="Eng", member_ids=frozenset({"u1", "u-foreign"})),
            LiveGroup(id="g2", name="Empty"),
            LiveGroup(id="g3", name=" Ops ", member_ids=frozenset({"u1"})),
            LiveGroup(id="g4", name="Eng"),  # same name as g1
            LiveGroup(id="g5", name="Nameless", member_ids=frozenset({"u4"})),
        ],
    )
    starter = build_starter(live=live, groups=True)
    assert [u.email for u in starter.users] == ["ann@x.test", "cy@x.test"]
    assert starter.groups is not None
    assert [(key, g.id) for key, g in starter.groups] == [("empty", "g2"), ("eng", "g1")]
    users = {item.subject: item for item in starter.left_out_users}
    assert set(users) == {"bob@x.test", "dee@x.test"}
    assert "deactivate" in users["bob@x.test"].reason
    assert "group's members" in users["bob@x.test"].advice
    assert "no name" in users["dee@x.test"].reason
    groups = {item.subject: item.reason for item in starter.left_out_groups}
    assert "spaces" in groups["group ' Ops ' (g3)"]
    assert "g1 has the same name" in groups["group 'Eng' (g4)"]
    assert "dee@x.test" in groups["group 'Nameless' (g5)"]
    files = starter.files(live=live)
    assert set(files) == {"tenant.yaml", "users.yaml", "groups.yaml"}
    assert "#   - bob@x.test: active" in files["users.yaml"]
    assert "suspended: true" in files["users.yaml"]  # cy stays inactive if added to a group
    assert "sso_customer_id: ${TEAMVIEWER_SSO_CUSTOMER_ID:-}" in files["tenant.yaml"]
    assert "unmanaged_users: ignore" in files["tenant.yaml"]
    assert "protected_users: []" in files["tenant.yaml"]  # R23: the admins go here


def test_without_groups_only_users_that_stay_as_they_are_are_declared() -> None:
    live = Live.build(
        users=[
            LiveUser(id="u1", email="ann@x.test", display_name="Ann", active=True),
            LiveUser(id="u2", email="bob@x.test", display_name="Bob", active=False),
        ],
        groups=[LiveGroup(id="g1", name="Eng", member_ids=frozenset({"u1"}))],
    )
    starter = build_starter(live=live, groups=False)
    assert [u.email for u in starter.users] == ["bob@x.test"]
    assert starter.groups is None
    assert "groups are not imported" in starter.left_out_users[0].reason
    assert "groups.yaml" not in starter.files(live=live)


def test_yaml_strings_read_back_as_the_same_strings() -> None:
    """YAML 1.2 numbers and words, and `${VAR}` references, survive as text."""
    values = ["0o17", "1e3", "true", "Null", "${HOME}", "a$${b}", "~", "-x", ".5", "x: y"]
    users = [{"email": f"u{i}@x.test", "display_name": v} for i, v in enumerate(values)]
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "a.yaml").write_text(dump_yaml({"users": users}), encoding="utf-8")
        desired = load_desired(Path(folder), environ={"HOME": "/nowhere"}).desired
    assert [desired.users[f"u{i}@x.test"].display_name for i in range(len(values))] == values


def test_the_starter_tenant_reads_back_as_the_defaults(tmp_path: Path) -> None:
    """Every safety key is written (item 6), with the defaults the loader also uses."""
    (tmp_path / "tenant.yaml").write_text(starter_tenant_yaml(), encoding="utf-8")
    tenant = load_desired(tmp_path, environ={}).desired.tenant
    assert tenant.safety == Safety()
    assert "max_removals_per_group: 10" in starter_tenant_yaml()
    assert tenant.unmanaged_users is UnmanagedUsers.IGNORE
    assert tenant.protected_users == frozenset()
    assert tenant.sso_customer_id is None


def test_new_tenant_keys_are_strict(tmp_path: Path) -> None:
    """The strict loader knows the new keys: a typo is an error with the closest key."""
    (tmp_path / "tenant.yaml").write_text(
        "tenant:\n  protected_user: [a@x.test]\n  safety:\n    max_removals_per_grup: 3\n"
        "    max_removal_percent_per_group: 150\n",
        encoding="utf-8",
    )
    with pytest.raises(DesiredStateError) as caught:
        load_desired(tmp_path, environ={})
    messages = [str(d) for d in caught.value.diagnostics]
    assert any("tenant.yaml:2:3" in m and "'protected_users'" in m for m in messages)
    assert any("tenant.yaml:4:5" in m and "'max_removals_per_group'" in m for m in messages)
    assert any("tenant.yaml:5:" in m and "100" in m for m in messages)


def test_left_out_names_are_quoted_exactly_and_on_one_line(tmp_path: Path) -> None:
    """The admin looks the name up in TeamViewer: runs of spaces stay as they are; a line
    break or tab is escaped so that the comment stays one line of the YAML file."""
    live = Live.build(
        users=[LiveUser(id="u1", email="ann@x.test", display_name="Ann", active=True)],
        groups=[
            LiveGroup(id="g1", name=" Ops  Team ", member_ids=frozenset({"u1"})),
            LiveGroup(id="g2", name="Line\nBreak\t", member_ids=frozenset({"u1"})),
        ],
    )
    starter = build_starter(live=live, groups=True)
    lines = [item.line() for item in starter.left_out_groups]
    assert any(line.startswith("group ' Ops  Team ' (g1)") for line in lines)
    assert any(line.startswith("group 'Line\\u000aBreak\\u0009' (g2)") for line in lines)
    files = starter.files(live=live)
    comment = [line for line in files["groups.yaml"].splitlines() if "(g2)" in line]
    assert len(comment) == 1
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    load_desired(tmp_path)  # the comments keep every file valid YAML
