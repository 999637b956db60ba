"""Seed data: the file format of `--seed FILE`, `POST /_emulator/seed` and the demo.

    users:            [{userName, displayName, active}]   SCIM-shaped
    groups:           [{displayName, members: [userName, ...]}]
    foreign_accounts: [e-mail, ...]   registered in TeamViewer outside this company

YAML or JSON. Big seeds (100k users) load in seconds from JSON; YAML uses libyaml's C
loader when it is available.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconcile.emulator.store import SeedGroup, SeedUser


class SeedFileError(ValueError):
    """The seed cannot be read; the message names the file and what to fix."""


class SeedUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    user_name: str = Field(alias="userName", min_length=3)
    display_name: str = Field(alias="displayName", min_length=1)
    active: bool = True


class SeedGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    display_name: str = Field(alias="displayName", min_length=1)
    members: list[str] = Field(default_factory=list)


class Seed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    users: list[SeedUserIn] = Field(default_factory=list)
    groups: list[SeedGroupIn] = Field(default_factory=list)
    foreign_accounts: list[str] = Field(default_factory=list)

    def store_users(self) -> list[SeedUser]:
        return [SeedUser(u.user_name, u.display_name, u.active) for u in self.users]

    def store_groups(self) -> list[SeedGroup]:
        return [SeedGroup(g.display_name, tuple(g.members)) for g in self.groups]


def parse_seed(data: Any, *, source: str) -> Seed:
    try:
        return Seed.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise SeedFileError(
            f"{source}: not a valid seed ({problems}); expected users, groups, foreign_accounts"
        ) from exc


def load_seed_file(path: Path) -> Seed:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedFileError(f"{path}: cannot read the seed file ({exc.strerror})") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(text, Loader=loader)  # a SafeLoader variant
    except (ValueError, yaml.YAMLError) as exc:
        raise SeedFileError(f"{path}: not valid YAML/JSON ({exc})") from exc
    return parse_seed(data, source=str(path))
