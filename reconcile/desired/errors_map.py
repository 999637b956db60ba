"""Pydantic validation errors -> diagnostics that say where (from the YAML positions) and
what to do. Input values are never echoed (a value may come from a secret variable),
except for enumerations, whose values are not secret."""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterator
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconcile.desired.model import Location
from reconcile.desired.yaml_reader import YamlMap, YamlSeq

Locate = Callable[[int], Location]

_YES_NO = {"yes", "no", "on", "off", "y", "n"}


def describe(value: Any) -> str:
    """What kind of YAML value this is, for "got ..." messages (never the value itself)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'}"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, choices: list[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if get_origin(annotation) in (Union, types.UnionType) or get_args(annotation):
        for arg in get_args(annotation):
            yield from _nested_models(arg)


def model_at(model: type[BaseModel], path: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping at `path` below `model` (for valid keys)."""
    current: type[BaseModel] | None = model
    for element in path:
        if current is None:
            return None
        if isinstance(element, int) or element not in current.model_fields:
            continue  # a list index or a dict key: same model as its container's items
        annotation = current.model_fields[element].annotation
        current = next(_nested_models(annotation), None)
    return current


def _field_name(path: tuple[int | str, ...], prefix: str) -> str:
    names = [str(e) for e in path if isinstance(e, str) and e != "[key]"]
    parts = [prefix, *names] if prefix else names
    return ".".join(p for p in parts if p) or "value"


def _message(error: ErrorDetails, field: str, model: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    got = describe(value)
    if kind == "missing":
        return f"missing required key '{error['loc'][-1]}'"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        parent = model_at(model, error["loc"][:-1])
        valid = sorted(parent.model_fields) if parent else []
        hint = suggest(key, valid)
        listing = f" (valid keys: {', '.join(valid)})" if valid else ""
        return f"unknown key '{key}'{hint}{listing}"
    if kind == "string_type":
        quote = " (quote it to make it text)" if isinstance(value, int | float) else ""
        return f"'{field}' must be a string, not {got}{quote}"
    if kind == "bool_type":
        hint = ""
        if isinstance(value, str) and value.casefold() in _YES_NO:
            hint = " (YAML 1.2: only true and false are booleans)"
        return f"'{field}' must be true or false, not {got}{hint}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"'{field}' must be a whole number, not {got}"
    if kind in ("float_type", "float_parsing"):
        return f"'{field}' must be a number, not {got}"
    if kind == "greater_than_equal":
        return f"'{field}' must be at least {ctx.get('ge')} (limits cannot be negative)"
    if kind == "less_than_equal":
        return f"'{field}' must be at most {ctx.get('le')} (it is a percentage, 0..100)"
    if kind == "string_too_short":
        return f"'{field}' must not be empty"
    if kind in ("list_type", "tuple_type"):
        return f"'{field}' must be a list, not {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"'{field}' must be a mapping (key: value), not {got}"
    if kind == "literal_error":
        return f"'{field}' must be {ctx.get('expected')}, not '{value}'"
    if kind == "string_pattern_mismatch" and field.endswith("language"):
        return f"'{field}' must be a language code such as de, en or pt-BR"
    if kind in ("string_pattern_mismatch", "string_too_long") and error["loc"][-1] == "[key]":
        return (
            f"group key '{error['loc'][-2]}' must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-' (at most 128 characters); the TeamViewer name "
            "goes in 'name'"
        )
    if kind in ("email", "expires"):
        return str(error["msg"])
    if kind == "member_form":
        return (
            f"'{field}' must be an e-mail address or a mapping {{email: ..., expires: ...}} "
            f"(R24), not {got}"
        )
    return f"'{field}': {error['msg']}"


def _position(node: Any, path: tuple[int | str, ...], kind: str) -> int:
    """Offset of the node an error is about: the key for unknown keys and bad dict keys,
    the enclosing mapping for missing keys, else the value."""
    mark: int = node.mark if isinstance(node, YamlMap | YamlSeq) else 0
    key_mark = mark
    for index, element in enumerate(path):
        last = index == len(path) - 1
        if element == "[key]":
            return key_mark
        if isinstance(node, YamlMap) and element in node:
            key_mark = node.key_marks[element]
            if last and kind == "extra_forbidden":
                return key_mark
            mark = node.value_marks[element]
            node = node[element]
        elif isinstance(node, YamlSeq) and isinstance(element, int) and element < len(node):
            mark = node.item_marks[element]
            node = node[element]
        else:
            break  # a missing key: point at the mapping that lacks it
    return mark


# A group member is `str | MemberSchema`: pydantic reports a bad member once per branch,
# with the branch's name in the path. One error each, with a plain path, reads better.
_MEMBER_BRANCHES = ("str", "MemberSchema")


def _member_errors(errors: list[ErrorDetails]) -> Iterator[ErrorDetails]:
    """The errors, with each bad group member reported once: as a mapping's own errors
    when it is a mapping, else as one "must be an e-mail or a mapping" error."""
    reported: set[tuple[int | str, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        at = next(
            (
                i
                for i in range(1, len(loc))
                if loc[i] in _MEMBER_BRANCHES
                and loc[i - 2 : i - 1] == ("members",)
                and isinstance(loc[i - 1], int)
            ),
            None,
        )
        if at is None:
            yield error
            continue
        value = error.get("input")
        is_mapping = isinstance(value, dict) or len(loc) > at + 1
        if loc[at] == "MemberSchema" and is_mapping and error["type"] != "model_type":
            yield {**error, "loc": loc[:at] + loc[at + 1 :]}
        elif not is_mapping and loc[:at] not in reported:
            reported.add(loc[:at])
            yield {**error, "loc": loc[:at], "type": "member_form"}


def validation_diagnostics(
    exc: ValidationError,
    *,
    node: Any,
    model: type[BaseModel],
    prefix: str,
    locate: Locate,
) -> Iterator[tuple[Location, str]]:
    """(location, message) for each error of validating `node` with `model`."""
    for error in _member_errors(exc.errors()):
        path = tuple(error["loc"])
        field = _field_name(path, prefix)
        yield locate(_position(node, path, error["type"])), _message(error, field, model)
