"""django-scim2 (a second third-party SCIM server) on 127.0.0.1, SQLite, a free port."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from tests.integration.live.django_scim.auth import TOKEN


@dataclass(frozen=True)
class DjangoScim:
    base_url: str
    token: str


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def _django_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoScim]:
    os.environ["DJANGO_SCIM_DB"] = str(tmp_path_factory.mktemp("django") / "scim.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.integration.live.django_scim.settings"
    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from scim2_server.testserver.cli import ThreadingWSGIServer

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=ThreadingWSGIServer,
        handler_class=_Quiet,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DjangoScim(base_url=f"http://127.0.0.1:{server.server_port}/scim/v2", token=TOKEN)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def django_scim(_django_server: DjangoScim) -> DjangoScim:
    """django-scim2 with an empty database."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    return _django_server
