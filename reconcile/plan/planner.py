"""The planner: a pure function from (desired, live, policy) to a Plan.

No I/O, no clock, no randomness: the same inputs in any order give the same Plan.
Rules are cited by their DESIGN.md numbers. The hot loops (100k users, 1M memberships)
use set operations in C rather than per-member Python code.

Shared objects (what the planner expects of its inputs, for speed only; results never
depend on it). Comparing two str objects is a pointer check when they are the same
object, a character compare otherwise; the planner's million member look-ups rely on
the former:
- desired side: every `DesiredGroup.members` entry is the very key object of its
  declared user in `Desired.users` (the loader's `rules._merge_groups` shares them);
- live side: every `LiveGroup.member_ids` entry is the very id object of its user in
  `Live.users` (the fetch and the snapshot reader intern ids, `sys.intern`).
tests/unit/plan/test_shared_objects.py asserts both for every way a state is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from types import MappingProxyType
from typing import TypeVar, cast

from reconcile.desired.model import (
    Desired,
    DesiredGroup,
    DesiredUser,
    Location,
    UnmanagedUsers,
)
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.plan.errors import Diagnostic, PlanningError
from reconcile.plan.expiry import ExpiryView, expiry_view
from reconcile.plan.model import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    MemberRef,
    Notice,
    NoticeKind,
    Operation,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.safety import compute_safety
from reconcile.text import plural


@dataclass(frozen=True, slots=True)
class Policy:
    """How to plan, beyond what the desired state says."""

    target: str = ""  # recorded in the plan: target URL, "embedded" or a snapshot file
    # False: the service does not list the TeamViewer SsoUser extension (its discovery
    # documents), so tenant.sso_customer_id is not sent on create, and the plan says so.
    sso_extension: bool = True
    # R24: the time the plan is for (aware; the command line passes --now or the current
    # UTC time). None judges no expiries, and the plan says so when there are some.
    now: datetime | None = None


K = TypeVar("K")
V = TypeVar("V")


class _Pending:
    """Token of a declared user missing live (created by this plan, or not at all)."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


# A declared user's token: its live id when it exists live, else its _Pending object.
# Group members are translated to tokens once; everything after that is set algebra on
# tokens, whose equality is identity or a live id (the live side's own vocabulary).
Token = str | _Pending


def _lookup(table: dict[str, Token], keys: Sequence[str]) -> tuple[Token, ...]:
    """(table[k] for k in keys) in one C-level call (itemgetter), not a Python loop.

    `table` must be a plain dict: a dict subclass sends every lookup down a slower path
    (see BENCHMARKS.md). A key not in the table raises KeyError.
    """
    if len(keys) > 1:
        return cast(tuple[Token, ...], itemgetter(*keys)(table))
    return (table[keys[0]],) if keys else ()


def _plain_dict(mapping: Mapping[K, V]) -> dict[K, V]:
    """A dict for fast lookups; read-only use, so a dict is returned as it is."""
    if isinstance(mapping, dict):
        return mapping
    if isinstance(mapping, MappingProxyType):
        # dict(proxy) goes item by item; proxy.copy() copies the underlying dict at C speed.
        return cast(dict[K, V], mapping.copy())
    return dict(mapping)


@dataclass(frozen=True, slots=True)
class _Match:
    live: LiveGroup
    how: str  # "id", "renamed_from" or "name" (R7)
    via: str  # the pinned id or the live name that matched


def plan(desired: Desired, live: Live, policy: Policy | None = None) -> Plan:
    """Plan the writes that make `live` match `desired` (R1-R16, R18, R19, R22).

    Raises PlanningError when the inputs cannot be planned safely (R7 ambiguity, group
    name conflicts, group members that are not declared users).
    """
    policy = policy or Policy()
    expiry = expiry_view(desired, policy.now)
    operations, notices = _Planner(desired, live, expiry).run()
    if desired.tenant.sso_customer_id and not policy.sso_extension:
        notices.append(Notice(NoticeKind.SSO_NOT_SENT, "tenant.sso_customer_id", SSO_NOT_SENT))
    ops = tuple(sorted(operations, key=lambda op: op.sort_key))
    if desired.tenant.enabled:
        notices.extend(expiry.notices)
    return Plan(
        target=policy.target,
        live_fingerprint=live.fingerprint,
        desired_fingerprint=desired.fingerprint,
        operations=ops,
        notices=tuple(sorted(notices)),
        safety=compute_safety(desired=desired, live=live, operations=ops),
        now=policy.now,
        expired=expiry.expirations if desired.tenant.enabled else (),
    )


SSO_NOT_SENT = (
    "sso_customer_id is not sent: the service does not support the TeamViewer SSO extension"
)


def _names(names: Iterable[str], *, limit: int = 3) -> str:
    """'A, B and C' / 'A, B, C and 4 more' for reasons that stay one line."""
    ordered = sorted(set(names))
    shown = ordered[:limit]
    rest = len(ordered) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


class _Planner:
    """One planning run; holds the indexes shared by the user and group passes."""

    def __init__(self, desired: Desired, live: Live, expiry: ExpiryView) -> None:
        self.desired = desired
        self.expiry = expiry  # R24
        self.live = live
        self.tenant = desired.tenant
        # Plain dict copies: lookups through a mapping proxy take a slower path.
        self.declared: dict[str, DesiredUser] = _plain_dict(desired.users)
        self.live_by_key: dict[str, LiveUser] = _plain_dict(live.users_by_email)
        self.token_of: dict[str, Token] = {}  # declared key -> live id, else _Pending
        self.group_tokens: dict[str, set[Token]] = {}  # declared group key -> member tokens
        self.bound: set[Token] = set()  # R2: tokens of members of present groups
        self.pending: set[Token] = set()  # tokens of declared users missing live
        self.operations: list[Operation] = []
        self.notices: list[Notice] = []
        self.created: set[str] = set()
        self.matches: dict[str, _Match] = {}
        self._undeclared: list[str] | None = None

    def run(self) -> tuple[list[Operation], list[Notice]]:
        if not self.tenant.enabled:  # R16
            self.notices.append(
                Notice(
                    NoticeKind.PAUSED,
                    "tenant",
                    "tenant.enabled is false: the integration is paused and nothing is "
                    "planned (R16); every user and group is left as it is. "
                    "Set tenant.enabled: true to resume.",
                )
            )
            return self.operations, self.notices
        self._index_members()
        if self.tenant.manage_groups:
            self.matches = self._match_groups()
        self._plan_declared_users()
        self._plan_unmanaged_users()
        if self.tenant.manage_groups:
            self._plan_groups(self.matches)
        else:  # R11
            self.notices.append(
                Notice(
                    NoticeKind.GROUP_MANAGEMENT_OFF,
                    "tenant",
                    "tenant.manage_groups is false: groups and memberships are left as they "
                    f"are ({plural(len(self.live.groups), 'live group')}); declared groups "
                    "still decide which users are bound and active (R11).",
                )
            )
        self._check_protected()
        return self.operations, self.notices

    # -- validation that blocks planning -------------------------------------------------

    def _index_members(self) -> None:
        """One pass over the declared memberships (the planner's only per-member pass on
        the desired side): member tokens per group, R2 binding, undeclared members."""
        table = self.token_of
        pending = self.pending
        for key in self.declared:
            current = self.live_by_key.get(key)
            if current is not None:
                table[key] = current.id
            else:
                token = table[key] = _Pending(key)
                pending.add(token)
        # Each group's members are translated straight through the table, in C (members
        # are their users' own key objects: "Shared objects" above).
        group_tokens = self.group_tokens
        undeclared: list[str] = []
        for key, group in self.desired.groups.items():
            try:
                tokens = set(_lookup(table, self.expiry.members_of(key, group)))
            except KeyError:
                undeclared.append(key)
                continue
            group_tokens[key] = tokens
        if undeclared:
            self._reject_undeclared(undeclared)
        present = [group_tokens[k] for k, g in self.desired.groups.items() if g.present]
        self.bound = set().union(*present)

    def _reject_undeclared(self, keys: list[str]) -> None:
        groups = self.desired.groups
        raise PlanningError(
            [
                Diagnostic(
                    "undeclared_member",
                    key,
                    f"group '{key}' lists "
                    f"{_names(m for m in groups[key].members if m not in self.declared)}"
                    ", not declared under users: declare the user (with a name) or "
                    "remove it from the group",
                    groups[key].location,
                )
                for key in keys
            ]
        )

    def _match_groups(self) -> dict[str, _Match]:
        """R7: by pinned id, else by renamed_from or exact name; two candidates block."""
        live = self.live
        problems: list[Diagnostic] = []
        matches: dict[str, _Match] = {}
        claimed: dict[str, list[str]] = {}
        for key in sorted(self.desired.groups):
            group = self.desired.groups[key]
            if group.id is not None and group.id in live.groups_by_id:
                match = _Match(live.groups_by_id[group.id], "id", group.id)
            elif group.id is not None and not group.present:
                # The pinned group is gone: it is deleted already. Falling back to its name
                # would delete some other group that merely shares the name.
                continue
            else:
                # A live group carrying an old name and another carrying the new name both
                # match: that is R7's ambiguity, not a rename onto an occupied name.
                candidates: dict[str, _Match] = {}
                for old in group.renamed_from:
                    for lg in live.groups_by_name.get(old, ()):
                        candidates.setdefault(lg.id, _Match(lg, "renamed_from", old))
                for lg in live.groups_by_name.get(group.name, ()):
                    candidates.setdefault(lg.id, _Match(lg, "name", group.name))
                if len(candidates) > 1:
                    found = ", ".join(
                        f"{m.live.id} ('{m.live.name}')" for _, m in sorted(candidates.items())
                    )
                    problems.append(
                        Diagnostic(
                            NoticeKind.AMBIGUOUS_GROUP.value,
                            key,
                            f"group '{key}' matches {len(candidates)} live groups: {found}; "
                            "pin one with `id:` in the group, or rename/remove the other "
                            "live group (R7)",
                            group.location,
                        )
                    )
                    continue
                if not candidates:
                    continue
                (match,) = candidates.values()
            matches[key] = match
            claimed.setdefault(match.live.id, []).append(key)
        for live_id, keys in sorted(claimed.items()):
            if len(keys) > 1:
                lg = live.groups_by_id[live_id]
                for key in keys:
                    problems.append(
                        Diagnostic(
                            NoticeKind.AMBIGUOUS_GROUP.value,
                            key,
                            f"live group {live_id} ('{lg.name}') is matched by declared groups "
                            f"{_names(keys, limit=len(keys))}; a live group can be managed by "
                            "one declared group only: pin ids or fix names (R7)",
                            self.desired.groups[key].location,
                        )
                    )
        if problems:
            raise PlanningError(problems)
        return matches

    def _check_protected(self) -> None:
        """R23: no plan deactivates a protected user, whatever the reason; one that would
        is a planning error (no command-line flag overrides it)."""
        protected = self.tenant.protected_users
        if not protected:
            return
        problems = [
            self._protected_problem(op)
            for op in self.operations
            if isinstance(op, UpdateUser) and op.is_deactivation and op.key in protected
        ]
        if problems:
            raise PlanningError(problems)

    def _protected_problem(self, op: UpdateUser) -> Diagnostic:
        """Who, why, the declaration that causes it (the diagnostic's location), the fix."""
        user = self.declared.get(op.key)
        cause: Location | None
        if user is None:  # R13
            cause = self.tenant.locations.get("unmanaged_users")
            fix = "declare it in a present group's members, or set tenant.unmanaged_users: ignore"
        elif self.token_of[op.key] in self.bound:  # bound, but suspended or expired (R3)
            cause = user.location
            keys = [
                k
                for k, on in (
                    ("suspended", user.suspended),
                    ("password_expired", user.password_expired),
                )
                if on
            ]
            fix = f"set {' and '.join(f'{k}: false' for k in keys)} in its entry"
        else:  # left its last present group (R5), or is in none (R2)
            cause = self._unbinding_cause(op.key, user)
            fix = "list it in a present group's members again"
        listed = self.tenant.locations.get("protected_users")
        return Diagnostic(
            "protected_user",
            op.email,
            f"{op.email} is a protected user (tenant.protected_users"
            f"{f' at {listed}' if listed else ''}), but this plan would deactivate it: "
            f"{'; '.join(op.reasons)}. To fix: {fix}; or, if it must lose access, remove it "
            "from tenant.protected_users first. No command-line flag overrides this (R23)",
            cause,
        )

    def _unbinding_cause(self, key: str, user: DesiredUser) -> Location | None:
        """The declaration that unbinds `key`: a deleted group listing it (R9), else a
        present group it was dropped from (R12), else its own entry (in no group, R2)."""
        token = self.token_of[key]
        groups = self.desired.groups
        for gkey in sorted(groups):
            if not groups[gkey].present and token in self.group_tokens[gkey]:
                return groups[gkey].location
        for gkey, match in sorted(self.matches.items()):
            if groups[gkey].present and token in match.live.member_ids:
                return groups[gkey].location
        return user.location

    # -- users ---------------------------------------------------------------------------

    def _present_groups_of(self, keys: set[str]) -> dict[str, list[str]]:
        """Names of the present groups binding each of `keys` (for reasons only)."""
        found: dict[str, list[str]] = {}
        if not keys:
            return found
        key_of = {self.token_of[k]: k for k in keys}
        wanted = set(key_of)
        for gkey, group in self.desired.groups.items():
            tokens = self.group_tokens[gkey]
            # isdisjoint first: no allocation for the many groups with none of `keys`.
            if group.present and not wanted.isdisjoint(tokens):
                for token in wanted.intersection(tokens):
                    found.setdefault(key_of[token], []).append(group.name)
        return found

    def _email(self, key: str) -> str:
        """The address as declared, else as TeamViewer has it."""
        declared = self.declared.get(key)
        return declared.email if declared is not None else self.live_by_key[key].email

    def _plan_declared_users(self) -> None:
        bound = self.bound
        token_of = self.token_of
        to_create: list[DesiredUser] = []
        changed: list[tuple[DesiredUser, LiveUser, tuple[str, str] | None, bool]] = []
        not_live: list[DesiredUser] = []
        users_by_id = _plain_dict(self.live.users_by_id)
        for key, user in self.declared.items():
            token = token_of[key]
            # A str token is the live id (the index key's own object: "Shared objects").
            current = users_by_id[token] if type(token) is str else None
            is_bound = token in bound
            want_active = is_bound and user.should_be_active  # R3
            if current is None:
                not_live.append(user)
                if want_active:
                    to_create.append(user)
                    self.created.add(key)
                elif is_bound:
                    self.notices.append(
                        Notice(
                            NoticeKind.SKIPPED_INACTIVE_USER,
                            user.email,
                            f"{user.email} is {self._inactive_why(user)} and not in "
                            "TeamViewer: not created, and not added to its groups (R3)",
                        )
                    )
                else:
                    lapsed = self.expiry.lapsed(key) if self.expiry.expired else None
                    self.notices.append(
                        Notice(
                            NoticeKind.UNBOUND_USER,
                            user.email,
                            f"{user.email}: {lapsed}: not created (R2)"
                            if lapsed
                            else f"{user.email} is declared but not a member of any present "
                            "group: not created (R2); add it to a group to give it access",
                        )
                    )
                continue
            name = user.effective_name
            # R14: only the effective name is compared, trimmed; given/family never.
            rename = (current.display_name, name) if current.display_name.strip() != name else None
            if rename is not None or current.active != want_active:
                changed.append((user, current, rename, want_active))

        binding = self._present_groups_of(
            {u.key for u in to_create}
            | {u.key for u, lu, _, active in changed if active and not lu.active}
        )
        unbound_deactivated = {
            u.key for u, lu, _, active in changed if lu.active and not active and lu.id not in bound
        }
        left = self._groups_left(unbound_deactivated)

        for user in to_create:
            groups = binding.get(user.key, [])
            self.operations.append(
                CreateUser(
                    email=user.email,
                    display_name=user.effective_name,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    language=user.language,
                    reasons=(f"member of present group {_names(groups)} (R2)",),
                )
            )
        for user, current, rename, want_active in changed:
            reasons: list[str] = []
            active: tuple[bool, bool] | None = None
            if current.active != want_active:
                active = (current.active, want_active)
                if want_active:
                    groups = binding.get(user.key, [])
                    reasons.append(
                        f"inactive in TeamViewer but a member of present group "
                        f"{_names(groups)}: reactivated (R3)"
                    )
                elif current.id in bound:
                    reasons.append(f"{self._inactive_why(user)} in the desired state (R3)")
                else:
                    self._deactivation_reasons(user.key, left, reasons)
            if rename is not None:
                reasons.append(
                    f"name differs: TeamViewer has '{rename[0]}', the effective name is "
                    f"'{rename[1]}' (R14)"
                )
            self.operations.append(
                UpdateUser(
                    email=user.email,
                    id=current.id,
                    display_name=rename,
                    active=active,
                    reasons=tuple(reasons),
                )
            )
        self._email_change_notices(not_live)

    def _deactivation_reasons(self, key: str, left: dict[str, str], reasons: list[str]) -> None:
        """Why a user with no present group left is deactivated: an expiry (R24) first."""
        expired = self.expiry.deactivation_reason(key) if self.expiry.expired else None
        if expired is not None:
            reasons.append(expired)
            if key in left:
                reasons.append(left[key])
        else:
            reasons.append(left.get(key) or self._unbound_reason())

    @staticmethod
    def _inactive_why(user: DesiredUser) -> str:
        why = [
            w
            for w, on in (
                ("suspended", user.suspended),
                ("password expired", user.password_expired),
            )
            if on
        ]
        return " and ".join(why)

    @staticmethod
    def _unbound_reason() -> str:
        return "declared but not a member of any present group (R2, R3)"

    def _groups_left(self, keys: set[str]) -> dict[str, str]:
        """For users losing their last binding: which groups they left (R5), in words."""
        if not keys:
            return {}
        left: dict[str, set[str]] = {}
        deleted: dict[str, set[str]] = {}
        dropped: dict[str, set[str]] = {}
        id_to_key = {self.live_by_key[k].id: k for k in keys}
        leaving = set(id_to_key)  # live ids are these users' tokens
        for gkey, group in self.desired.groups.items():
            tokens = self.group_tokens[gkey]
            if not group.present and not leaving.isdisjoint(tokens):
                for uid in leaving.intersection(tokens):
                    deleted.setdefault(id_to_key[uid], set()).add(group.name)
        if self.tenant.manage_groups:
            managed = {m.live.id: self.desired.groups[k] for k, m in self.matches.items()}
            for lg in self.live.groups:
                if leaving.isdisjoint(lg.member_ids):
                    continue
                declared = managed.get(lg.id)
                for member in (id_to_key[i] for i in leaving.intersection(lg.member_ids)):
                    if declared is None:
                        dropped.setdefault(member, set()).add(lg.name)
                    elif self.expiry.has_expired(declared.key, member):
                        continue  # said by the expiry's own reason (R24)
                    elif declared.present:
                        left.setdefault(member, set()).add(declared.name)
                    else:
                        deleted.setdefault(member, set()).add(declared.name)
        reasons: dict[str, str] = {}
        for key in keys:
            parts: list[str] = []
            if key in left:
                parts.append(f"left {_names(left[key])}")
            if key in deleted:
                parts.append(f"group {_names(deleted[key])} is deleted (R9)")
            if key in dropped:
                parts.append(f"group {_names(dropped[key])} is no longer declared (R10)")
            if parts:
                reasons[key] = "no longer in any present group (R5): " + "; ".join(parts)
        return reasons

    def _undeclared_live_keys(self) -> list[str]:
        """Keys of live users the desired state does not declare (a C-level set difference)."""
        if self._undeclared is None:
            self._undeclared = sorted(self.live_by_key.keys() - self.declared.keys())
        return self._undeclared

    def _plan_unmanaged_users(self) -> None:
        """R13: live users not declared are reported; deactivated only on request."""
        deactivate = self.tenant.unmanaged_users is UnmanagedUsers.DEACTIVATE
        for key in self._undeclared_live_keys():
            current = self.live_by_key[key]
            if deactivate and current.active:
                message = (
                    f"{current.email} ({current.id}) is not declared: deactivated because "
                    "tenant.unmanaged_users is deactivate (R13)"
                )
                self.operations.append(
                    UpdateUser(
                        email=current.email,
                        id=current.id,
                        active=(True, False),
                        reasons=(
                            "not declared in the desired state and tenant.unmanaged_users is "
                            "deactivate (R13)",
                        ),
                    )
                )
            elif deactivate:
                message = f"{current.email} ({current.id}) is not declared and already inactive"
            else:
                message = (
                    f"{current.email} ({current.id}) is not declared: left as it is "
                    "(tenant.unmanaged_users: ignore, R13); declare it with `reconcile import`"
                )
            self.notices.append(Notice(NoticeKind.UNMANAGED_USER, current.email, message))

    def _email_change_notices(self, not_live: list[DesiredUser]) -> None:
        """R15 heuristic: a declared address missing live that looks like a renamed one."""
        if not not_live:
            return
        by_name: dict[str, list[LiveUser]] = {}
        by_local: dict[str, list[LiveUser]] = {}
        for key in self._undeclared_live_keys():
            current = self.live_by_key[key]
            by_name.setdefault(current.display_name.strip(), []).append(current)
            by_local.setdefault(key.rpartition("@")[0], []).append(current)
        if not by_name:
            return
        for user in not_live:
            local, _, domain = user.key.rpartition("@")
            candidates = by_name.get(user.effective_name, [])
            why = f"has the same display name '{user.effective_name}'"
            if len(candidates) != 1:
                candidates = [
                    c for c in by_local.get(local, []) if c.key.rpartition("@")[2] != domain
                ]
                why = f"has the same local part '{local}' at another domain"
            if len(candidates) != 1:
                continue
            (old,) = candidates
            outcome = (
                "this plan creates a new account"
                if user.key in self.created
                else "this plan does not create it"
            )
            self.notices.append(
                Notice(
                    NoticeKind.EMAIL_CHANGE_UNSUPPORTED,
                    user.email,
                    f"{user.email} is not in TeamViewer, but undeclared live user {old.email} "
                    f"({old.id}) {why}: if this is the same person with a new address, note "
                    "that TeamViewer cannot change an e-mail address in place (R15); "
                    f"{outcome} and leaves {old.email} as it is. Declare {old.email} instead "
                    "to keep the existing account. (Heuristic: a guess from names only.)",
                )
            )

    # -- groups --------------------------------------------------------------------------

    def _member_refs(
        self, ids: Iterable[str], new_keys: Iterable[str] = ()
    ) -> tuple[MemberRef, ...]:
        """Live users by id plus users created by this plan, sorted by e-mail key."""
        users_by_id = self.live.users_by_id
        refs: list[tuple[str, MemberRef]] = []
        for uid in ids:
            key = users_by_id[uid].key
            refs.append((key, MemberRef(self._email(key), uid)))
        refs.extend((key, MemberRef(self._email(key), None)) for key in new_keys)
        refs.sort(key=itemgetter(0))
        return tuple(ref for _, ref in refs)

    def _plan_groups(self, matches: dict[str, _Match]) -> None:
        # R12 compares in live-id space: the live side is already a frozenset of ids, so
        # a group costs C-level set differences, one lookup per member each.
        users_by_id = self.live.users_by_id
        pending = self.pending
        created = {self.token_of[k] for k in self.created}
        # name -> (holders, introduced by this plan?), for conflicts
        final_names: dict[str, tuple[list[str], list[bool]]] = {}

        def hold(name: str, holder: str, *, introduced: bool) -> None:
            holders, flags = final_names.setdefault(name, ([], []))
            holders.append(holder)
            flags.append(introduced)

        for key, group in self.desired.groups.items():
            match = matches.get(key)
            if not group.present:
                if match is not None:  # R9
                    self._delete_group(key, group, match)
                    hold(match.live.name, f"group '{key}'", introduced=False)
                continue
            tokens = self.group_tokens[key]
            new_keys: set[str] = set()
            # Declared members missing live: only those being created count (R12).
            missing = tokens & pending if pending else None
            if not missing:
                target_ids = cast(set[str], tokens)  # every member exists live
            else:
                target_ids = cast(set[str], tokens - missing)
                new_keys = {cast(_Pending, t).key for t in missing & created}
            if match is None:
                if target_ids or new_keys:
                    self._create_group(key, group, len(tokens), target_ids, new_keys)
                    hold(group.name, f"group '{key}'", introduced=True)
                else:  # R6
                    self._skip_empty(key, group)
                continue
            live_ids = match.live.member_ids
            rename = (match.live.name, group.name) if match.live.name != group.name else None
            hold(group.name, f"group '{key}'", introduced=rename is not None)
            # No equality test first: most groups that are compared differ somewhere, and
            # the difference below costs the same one pass over the members.
            add_ids = target_ids - live_ids
            # Members that are not users in the listing cannot be addressed by e-mail.
            remove_ids = [uid for uid in live_ids - target_ids if uid in users_by_id]
            if rename is None and not add_ids and not new_keys and not remove_ids:
                continue
            adds = len(add_ids) + len(new_keys)
            self.operations.append(
                UpdateGroup(
                    key=key,
                    id=match.live.id,
                    name=group.name,
                    rename=rename,
                    add_members=self._member_refs(add_ids, new_keys),
                    remove_members=self._member_refs(remove_ids),
                    reasons=self._update_reasons(match, rename, adds, remove_ids, key),
                )
            )
        matched = {m.live.id for m in matches.values()}
        for lg in self.live.groups:
            if lg.id not in matched:  # R10
                hold(lg.name, f"unmanaged live group {lg.id}", introduced=False)
                self.notices.append(
                    Notice(
                        NoticeKind.UNMANAGED_GROUP,
                        lg.name,
                        f"live group '{lg.name}' ({lg.id}, "
                        f"{plural(len(lg.member_ids), 'member')}) matches no declared group: "
                        "left as it is (R10); declare it to manage it",
                    )
                )
        self._check_names(final_names)

    @staticmethod
    def _check_names(final_names: dict[str, tuple[list[str], list[bool]]]) -> None:
        """Renames and creates must not produce a second group with one name (R7, R8).

        Duplicates that already exist live are not this plan's doing (a pinned id is how
        one of them gets managed), so only names this plan introduces are checked.
        """
        problems = [
            Diagnostic(
                "group_name_conflict",
                name,
                f"after this plan, {_names(holders, limit=len(holders))} would all be named "
                f"'{name}': group names must stay unique; rename one of them",
            )
            for name, (holders, introduced) in sorted(final_names.items())
            if len(holders) > 1 and any(introduced)
        ]
        if problems:
            raise PlanningError(problems)

    def _update_reasons(
        self,
        match: _Match,
        rename: tuple[str, str] | None,
        adds: int,
        remove_ids: list[str],
        key: str,
    ) -> tuple[str, ...]:
        reasons: list[str] = []
        if match.how == "name":
            reasons.append(f"manages live group {match.live.id} matched by exact name (R7)")
        elif match.how == "renamed_from":
            reasons.append(f"manages live group {match.live.id} matched by renamed_from (R7)")
        else:
            reasons.append(f"manages live group {match.live.id} pinned by id (R7)")
        if rename is not None:
            reasons.append(f"renamed in place from '{rename[0]}' to '{rename[1]}' (R8)")
        if adds:
            reasons.append(f"{plural(adds, 'declared member')} not in the live group (R12)")
        expired: list[str] = []
        if remove_ids and self.expiry.expired.get(key):
            users_by_id = self.live.users_by_id
            for uid in remove_ids:
                why = self.expiry.removal_reason(key, users_by_id[uid].key)
                if why is not None:
                    expired.append(why)
        removes = len(remove_ids) - len(expired)
        if removes:
            reasons.append(f"{plural(removes, 'live member')} not declared in this group (R12)")
        reasons.extend(sorted(expired))
        return tuple(reasons)

    def _create_group(
        self, key: str, group: DesiredGroup, declared: int, target_ids: set[str], new_keys: set[str]
    ) -> None:
        count = len(target_ids) + len(new_keys)
        skipped = declared - count
        reasons = [
            f"declared with {plural(count, 'member')}; no live group matches by id, "
            "renamed_from or name (R7)"
        ]
        if skipped:
            reasons.append(
                f"{plural(skipped, 'declared member')} not created, so not added (R3, R12)"
            )
        self.operations.append(
            CreateGroup(
                key=key,
                name=group.name,
                members=self._member_refs(target_ids, new_keys),
                reasons=tuple(reasons),
            )
        )

    def _skip_empty(self, key: str, group: DesiredGroup) -> None:
        why = (
            "has no members"
            if not group.members
            else "has no members that exist or are being created"
        )
        self.notices.append(
            Notice(
                NoticeKind.SKIPPED_EMPTY_GROUP,
                key,
                f"group '{key}' ('{group.name}') {why}: not created until someone joins (R6)",
            )
        )

    def _delete_group(self, key: str, group: DesiredGroup, match: _Match) -> None:
        self.operations.append(
            DeleteGroup(
                key=key,
                id=match.live.id,
                name=match.live.name,
                reasons=(
                    f"state: deleted; live group {match.live.id} has "
                    f"{plural(len(match.live.member_ids), 'member')}; members with no other "
                    "present group are deactivated, never deleted (R9, R5, R4)",
                ),
            )
        )
