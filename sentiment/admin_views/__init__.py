"""Pages added to the Django admin: annotation, agreement, import/export, model dashboard.

Each view is thin: it checks the permission, parses the request and calls the service layer.
They are mounted by `sentiment/admin.py` (get_urls) behind `admin_site.admin_view`, which
requires a logged-in staff user and protects POSTs against CSRF.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def staff_user(request: HttpRequest) -> User:
    """The signed-in user: `admin_site.admin_view` lets no anonymous request reach a view."""
    return cast(User, request.user)


def require(request: HttpRequest, *permissions: str) -> None:
    if not all(request.user.has_perm(p) for p in permissions):
        raise PermissionDenied


def admin_context(request: HttpRequest, title: str, **extra) -> dict:
    """What the admin's base template needs (site header, user links, sidebar)."""
    return {**admin.site.each_context(request), "title": title, **extra}


# Tweet ids are BigAutoField: a larger integer would overflow the database driver (a 500).
MAX_TWEET_ID = 2**63 - 1


def parse_tweet_id(value: object) -> int | None:
    """A tweet id from JSON or a form field, or None if it cannot be one."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TWEET_ID:
        return None
    return value
