"""RFC 7644 section 3.5.2 PATCH operations applied to a resource's JSON document.

Used as is in RFC-strict mode (users) and for groups' plain attributes; TeamViewer
mode restricts users to `replace` before anything reaches this module. The schema is
given as `Attrs`: canonical names by lower-case name, which are multi-valued, and which
are complex (sub-attributes by lower-case name).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconcile.emulator.errors import ScimError, invalid_path, invalid_value, mutability
from reconcile.emulator.filters import PatchPath, matches, parse_patch_path, split_attr
from reconcile.emulator.wire import PATCH_SCHEMA, TEAMVIEWER_EXAMPLE_PATCH_SCHEMA, PatchOpIn


@dataclass(frozen=True, slots=True)
class Attrs:
    names: Mapping[str, str]  # lower -> canonical, top-level attributes
    complex: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # lower -> subs
    multi: frozenset[str] = frozenset()  # lower names
    read_only: frozenset[str] = frozenset({"id", "meta", "schemas"})
    extensions: Mapping[str, Attrs] = field(default_factory=dict)  # lower URN -> attrs
    core_urn: str = ""


def check_envelope(
    body: PatchOpIn, *, max_operations: int, rfc_strict: bool, cost: int | None = None
) -> None:
    accepted = {PATCH_SCHEMA} if rfc_strict else {PATCH_SCHEMA, TEAMVIEWER_EXAMPLE_PATCH_SCHEMA}
    if accepted.isdisjoint(body.schemas):
        raise ScimError(
            400, f"a PATCH body must list the schema {PATCH_SCHEMA}", scim_type="invalidSyntax"
        )
    if not body.operations:
        raise ScimError(400, "a PATCH body needs at least one operation", scim_type="invalidSyntax")
    n = len(body.operations) if cost is None else cost
    if n > max_operations:
        raise ScimError(
            413,
            f"this PATCH carries {n} operations; the limit is {max_operations} per request:"
            " split it into several requests",
        )


def _canon(attrs: Attrs, name: str) -> str:
    canon = attrs.names.get(name)
    if canon is None:
        raise invalid_path(f"unknown attribute {name!r}")
    if name in attrs.read_only:
        raise mutability(f"the attribute {canon!r} is read-only")
    return canon


def _sub(attrs: Attrs, top: str, sub: str) -> str:
    subs = attrs.complex.get(top)
    if subs is None or sub not in subs:
        raise invalid_path(f"unknown attribute {top}.{sub}")
    return subs[sub]


def _resolve(attrs: Attrs, path: PatchPath) -> tuple[Attrs, dict[str, Any] | None, PatchPath]:
    """Return the attribute set and (for extensions) the URN key holding it."""
    urn = path.attr.urn
    if urn is None or urn.lower() == attrs.core_urn.lower():
        return attrs, None, path
    full = f"{urn}:{path.attr.name}".lower()
    if full in attrs.extensions:  # the bare extension URN: the whole extension object
        return attrs.extensions[full], {"urn": full}, PatchPath(attr=split_attr("*"))
    ext = attrs.extensions.get(urn.lower())
    if ext is None:
        raise invalid_path(f"unknown schema {urn!r}")
    return ext, {"urn": urn.lower()}, path


def _container(doc: dict[str, Any], ext: dict[str, Any] | None, attrs: Attrs) -> dict[str, Any]:
    if ext is None:
        return doc
    key = attrs.core_urn  # extension Attrs carry their own URN as core_urn
    box = doc.get(key)
    if not isinstance(box, dict):
        box = {}
        doc[key] = box
    return box


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _merge_value(attrs: Attrs, target: dict[str, Any], canon: str, value: Any, op: str) -> None:
    lower = canon.lower()
    if lower in attrs.multi:
        values = [_clean(attrs, lower, v) for v in _as_list(value)]
        if op == "add":
            current = target.get(canon) or []
            target[canon] = current + [v for v in values if v not in current]
        else:
            target[canon] = values
        _fix_primary(target.get(canon))
    elif lower in attrs.complex:
        if not isinstance(value, dict):
            raise invalid_value(f"{canon} takes an object of sub-attributes")
        current = dict(target.get(canon) or {})
        current.update(_clean(attrs, lower, value))
        target[canon] = {k: v for k, v in current.items() if v is not None}
    else:
        target[canon] = value


def _clean(attrs: Attrs, lower: str, value: Any) -> Any:
    subs = attrs.complex.get(lower)
    if subs is None or not isinstance(value, dict):
        return value
    out = {}
    for key, sub in value.items():
        if key.lower() not in subs:
            raise invalid_path(f"unknown attribute {lower}.{key}")
        out[subs[key.lower()]] = sub
    return out


def _fix_primary(items: Any) -> None:
    # RFC 7643 2.4: at most one value has primary=true; the newest one wins.
    if not isinstance(items, list):
        return
    primaries = [i for i, v in enumerate(items) if isinstance(v, dict) and v.get("primary")]
    for i in primaries[:-1]:
        items[i]["primary"] = False


def apply_operation(
    attrs: Attrs, doc: dict[str, Any], *, op: str, path_text: str | None, value: Any
) -> None:
    """Apply one operation in place; raise ScimError (noTarget, invalidPath, ...)."""
    op = op.lower()
    if op not in ("add", "remove", "replace"):
        raise invalid_value(f"unknown PATCH op {op!r}; use add, remove or replace")
    if path_text is None or path_text == "":
        if op == "remove":
            raise ScimError(400, "a remove operation needs a path", scim_type="noTarget")
        if not isinstance(value, dict):
            raise invalid_value("an operation without a path takes an object as value")
        for key, item in value.items():
            if key.lower() == "schemas":
                continue
            apply_operation(attrs, doc, op=op, path_text=key, value=item)
        return

    path = parse_patch_path(path_text)
    scope, ext, path = _resolve(attrs, path)
    if path.attr.name == "*":  # a whole extension object
        box = _container(doc, ext, scope)
        if op == "remove":
            doc.pop(scope.core_urn, None)
            return
        if not isinstance(value, dict):
            raise invalid_value(f"{scope.core_urn} takes an object")
        if op == "replace":
            box.clear()
        for key, item in value.items():
            if key.lower() != "schemas":
                box[_canon(scope, key.lower())] = item
        return
    canon = _canon(scope, path.attr.name)
    lower = canon.lower()
    target = _container(doc, ext, scope)

    if path.value_filter is not None:
        if lower not in scope.multi:
            raise invalid_path(f"{canon} is not multi-valued; it takes no value filter")
        items = target.get(canon) or []
        hits = [
            i
            for i, v in enumerate(items)
            if isinstance(v, dict) and matches(path.value_filter, v, case_exact=lambda _p: False)
        ]
        if not hits:
            if op == "remove":
                return
            raise ScimError(400, f"no value of {canon} matches {path_text!r}", scim_type="noTarget")
        if op == "remove":
            if path.sub:
                sub = _sub(scope, lower, path.sub)
                for i in hits:
                    items[i].pop(sub, None)
            else:
                target[canon] = [v for i, v in enumerate(items) if i not in set(hits)]
            return
        for i in hits:
            if path.sub:
                items[i][_sub(scope, lower, path.sub)] = value
            elif isinstance(value, dict):
                if op == "replace":
                    items[i] = _clean(scope, lower, value)
                else:
                    items[i].update(_clean(scope, lower, value))
            else:
                raise invalid_value(f"{path_text} takes an object")
        _fix_primary(items)
        return

    if path.attr.sub:
        sub = _sub(scope, lower, path.attr.sub)
        if lower in scope.multi:
            items = target.get(canon) or []
            if op == "remove":
                for item in items:
                    item.pop(sub, None)
            else:
                for item in items:
                    item[sub] = value
            return
        box = dict(target.get(canon) or {})
        if op == "remove":
            box.pop(sub, None)
        else:
            box[sub] = value
        target[canon] = box
        if not box:
            target.pop(canon, None)
        return

    if op == "remove":
        target.pop(canon, None)
        return
    _merge_value(scope, target, canon, value, op)


def apply_all(attrs: Attrs, doc: dict[str, Any], body: PatchOpIn) -> dict[str, Any]:
    """All operations on a copy, or none (the caller stores the result)."""
    new = copy.deepcopy(doc)
    for operation in body.operations:
        apply_operation(
            attrs, new, op=operation.op, path_text=operation.path, value=operation.value
        )
    return new
