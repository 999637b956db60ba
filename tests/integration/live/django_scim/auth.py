"""A bearer-token check standing in for the project's own authentication."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse

TOKEN = "TKN-django-5b1c-SECRET-77e0"


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("Authorization") == f"Bearer {TOKEN}":
            request.user = SimpleNamespace(is_authenticated=True)
        return self.get_response(request)
