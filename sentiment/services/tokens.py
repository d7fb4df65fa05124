"""API tokens (API_AUTH=token): one per user, made, rotated or revoked by `manage.py api_token`.

They are Django REST framework's tokens, so they also appear in the admin ("Tokens").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token


class TokenError(Exception):
    """The user does not exist, or has no token to revoke; the message says what to do."""


@dataclass(frozen=True)
class IssuedToken:
    key: str
    created: bool  # False: the user's existing token was returned unchanged
    user_created: bool


def issue_token(username: str, *, rotate: bool = False, create_user: bool = False) -> IssuedToken:
    """The user's token, made if they have none; `rotate` replaces it with a new one."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        user_created = False
        if user is None:
            if not create_user:
                raise TokenError(
                    f"there is no user {username!r}: create it in the admin, or add "
                    "--create-user for an API-only account that cannot log in"
                )
            user = User.objects.create_user(username)  # no password: it cannot log in
            user_created = True
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
    return IssuedToken(token.key, created, user_created)


def revoke_token(username: str) -> None:
    deleted, _ = Token.objects.filter(user__username=username).delete()
    if not deleted:
        raise TokenError(f"user {username!r} has no API token")
