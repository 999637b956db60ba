#!/usr/bin/env python3
"""Which safety-gate override (R20) the apply job passes: only what a reviewer approved.

A reviewer approves a mass change by putting the label `reconcile:allow-mass-change` on the
pull request. The apply of the push that merges it then passes `--allow-deactivations N`,
N being the deactivations of that pull request's plan (the count that was reviewed, so an
approval of 3 cannot apply 300), and `--allow-mass-change` only when that plan also failed
a gate other than the two deactivation gates. Without the label, or without a readable
plan, nothing is overridden and every gate applies (apply refuses with exit 3).

    mass_change.py merged-pr --pulls PULLS.json --sha SHA
        PULLS.json is GitHub's `GET /repos/OWNER/REPO/commits/SHA/pulls`. Prints
        `labeled=true|false` (and `number=N` when SHA is a pull request's merge) in the
        format of $GITHUB_OUTPUT.
    mass_change.py args --plan PLAN.json [--labeled] [--pr N]
        Prints the extra `reconcile apply` arguments on one line (nothing: no override);
        the reason goes to stderr as one Markdown paragraph for the job summary.

Standard library only: the action runs it before anything else is trusted, and the tests
run it offline.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

LABEL = "reconcile:allow-mass-change"
# The gates `--allow-deactivations N` covers (reconcile.plan.safety.DEACTIVATION_GATES).
DEACTIVATION_GATES = frozenset({"max_deactivations", "max_deactivation_percent"})
PLAN_FORMAT_VERSION = 1


class UnreadablePlan(Exception):
    """The plan file is missing or is not a plan of the format this script knows."""


def merged_pull(pulls: Any, *, sha: str) -> dict[str, Any] | None:
    """The pull request whose merge made commit `sha`, from the commit's pulls listing.

    The listing also holds open pull requests that merely contain the commit: only a merged
    one whose merge commit is `sha` is the pull request this push merged.
    """
    if not isinstance(pulls, list):
        return None
    for pull in pulls:
        if (
            isinstance(pull, dict)
            and pull.get("merged_at")
            and pull.get("merge_commit_sha") == sha
            and isinstance(pull.get("number"), int)
        ):
            return pull
    return None


def has_label(pull: dict[str, Any]) -> bool:
    labels = pull.get("labels")
    if not isinstance(labels, list):
        return False
    return any(isinstance(label, dict) and label.get("name") == LABEL for label in labels)


def read_plan(path: Path) -> tuple[int, list[str]]:
    """(deactivations, names of the failed gates) of a JSON plan (docs/plan-format.md)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnreadablePlan(f"no plan file (`{path.name}`) in the artifact") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadablePlan(f"`{path.name}` is not JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("format_version") != PLAN_FORMAT_VERSION:
        raise UnreadablePlan(f"`{path.name}` is not a plan of format_version {PLAN_FORMAT_VERSION}")
    summary = document.get("summary")
    deactivations = summary.get("deactivations") if isinstance(summary, dict) else None
    # bool is an int in Python: `true` is no count.
    if type(deactivations) is not int or deactivations < 0:
        raise UnreadablePlan(f"`{path.name}` has no count in summary.deactivations")
    safety = document.get("safety")
    if not isinstance(safety, dict) or not safety:
        raise UnreadablePlan(f"`{path.name}` has no safety block")
    failed = []
    for name, gate in sorted(safety.items()):
        passes = gate.get("passes") if isinstance(gate, dict) else None
        if not isinstance(passes, bool):
            raise UnreadablePlan(f"`{path.name}`: safety gate `{name}` has no `passes`")
        if not passes:
            failed.append(name)
    return deactivations, failed


def decide(*, plan: Path, labeled: bool, pr: int | None) -> tuple[list[str], str]:
    """The extra apply arguments and the sentence that explains them."""
    which = f"pull request #{pr}" if pr is not None else "the merged pull request"
    if not labeled:
        return [], (
            f"No override: {which} does not carry the label `{LABEL}`"
            if pr is not None
            else f"No override: this push merged no pull request with the label `{LABEL}`"
        ) + ", so every safety gate applies."
    try:
        deactivations, failed = read_plan(plan)
    except UnreadablePlan as exc:
        return [], (
            f"**No override**: {which} carries the label `{LABEL}`, but its reviewed plan "
            f"cannot be read: {exc} (the plan artifact is missing, expired, or from a fork). "
            "Every safety gate applies: a plan over a gate is refused (exit 3). Re-run the "
            "plan for the pull request and then this job, or apply by hand from a reviewed "
            "plan (`reconcile apply --allow-deactivations N`)."
        )
    args = ["--allow-deactivations", str(deactivations)]
    reason = (
        f"Override approved by the label `{LABEL}` on {which}: its reviewed plan deactivates "
        f"{deactivations} user(s), so `--allow-deactivations {deactivations}` (a fresh plan "
        "over a deactivation gate that deactivates more is refused, exit 3)."
    )
    others = [name for name in failed if name not in DEACTIVATION_GATES]
    if others:
        args.append("--allow-mass-change")
        gates = ", ".join(f"`{name}`" for name in others)
        reason += f" The reviewed plan also failed {gates}: `--allow-mass-change`."
    return args, reason


def _merged_pr(options: argparse.Namespace) -> int:
    try:
        pulls = json.loads(Path(options.pulls).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"cannot read the pull requests of the commit: {exc}", file=sys.stderr)
        pulls = None
    pull = merged_pull(pulls, sha=options.sha)
    if pull is None:
        print("labeled=false")
        return 0
    print(f"number={pull['number']}")
    print(f"labeled={str(has_label(pull)).lower()}")
    return 0


def _args(options: argparse.Namespace) -> int:
    args, reason = decide(plan=Path(options.plan), labeled=options.labeled, pr=options.pr)
    print(shlex.join(args))
    print(reason, file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    merged = commands.add_parser("merged-pr", help="Is the pull request this push merged labeled?")
    merged.add_argument("--pulls", required=True, help="GET /repos/O/R/commits/SHA/pulls (JSON)")
    merged.add_argument("--sha", required=True, help="The pushed commit (GITHUB_SHA).")
    merged.set_defaults(run=_merged_pr)
    extra = commands.add_parser("args", help="The extra arguments of `reconcile apply`.")
    extra.add_argument("--plan", required=True, help="The pull request's JSON plan.")
    extra.add_argument("--labeled", action="store_true", help=f"The pull request has {LABEL}.")
    extra.add_argument("--pr", type=int, help="The pull request's number, for the reason.")
    extra.set_defaults(run=_args)
    options = parser.parse_args(argv)
    code: int = options.run(options)
    return code


if __name__ == "__main__":
    sys.exit(main())
