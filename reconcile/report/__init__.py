"""Access reviews from git: who has access, since which commit, approved in which change.

history.py walks the desired-state folder's git history (git.py runs git itself);
model.py joins it with the loaded desired state, the live state and the plan's facts;
render/ turns the resulting Report into HTML, CSV, JSON or Markdown.
"""

from reconcile.report.git import Commit, GitError, Repository, find_repository
from reconcile.report.history import Event, EventKind, History, Point, walk
from reconcile.report.model import (
    REPORT_FORMAT_VERSION,
    LiveMembership,
    Report,
    Row,
    State,
    build_report,
)

__all__ = [
    "REPORT_FORMAT_VERSION",
    "Commit",
    "Event",
    "EventKind",
    "GitError",
    "History",
    "LiveMembership",
    "Point",
    "Report",
    "Repository",
    "Row",
    "State",
    "build_report",
    "find_repository",
    "walk",
]
