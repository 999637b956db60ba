#!/usr/bin/env bash
# The main job, against the embedded demo emulator (never TeamViewer): validate the
# example desired state, plan, apply, and plan again.
#
# The demo tenant is made so that the first plan shows every kind of change, and so that
# one user cannot be created: robin.hill@example.test belongs to a TeamViewer account
# outside the company (R17). The apply therefore exits 1, and the second plan shows only
# that failure as pending. This script exits 0 when exactly that happened.
set -uo pipefail
cd "$(dirname "$0")/.."

unset RECONCILE_TARGET  # the embedded target, whatever the environment says
rm -f .reconcile/embedded.sqlite3 .reconcile/embedded.sqlite3-*  # start from the demo tenant

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "reconcile validate desired_state/"
reconcile validate desired_state/ || exit 1

step "reconcile plan desired_state/"
reconcile plan desired_state/ || exit 1

step "reconcile apply desired_state/ --auto-approve"
reconcile apply desired_state/ --auto-approve
applied=$?

step "reconcile plan desired_state/ --detailed-exitcode   (again)"
reconcile plan desired_state/ --detailed-exitcode
replanned=$?

echo
if [ "$applied" = 1 ] && [ "$replanned" = 2 ]; then
  echo "Demo finished as expected: every change applied except the one 409 (robin.hill's"
  echo "address belongs to an account outside the company), which stays pending."
  echo "Audit log: .reconcile/audit.jsonl"
  exit 0
fi
echo "Demo did not behave as expected (apply exit $applied, second plan exit $replanned)." >&2
exit 1
