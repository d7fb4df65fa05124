from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.services.tokens import TokenError, issue_token, revoke_token


class Command(BaseCommand):
    help = (
        "Print a user's API token for API_AUTH=token, making one if they have none. "
        "--rotate replaces it (the old one stops working within API_TOKEN_CACHE_SECONDS), "
        "--revoke deletes it. The token alone goes to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true", help="replace the token by a new one")
        action.add_argument("--revoke", action="store_true", help="delete the token")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="create the user if missing, as an API-only account without a password",
        )

    def handle(self, *args, username: str, rotate: bool, revoke: bool, create_user: bool, **opts):
        try:
            if revoke:
                revoke_token(username)
                self.stderr.write(f"Revoked the API token of {username}.")
                return
            issued = issue_token(username, rotate=rotate, create_user=create_user)
        except TokenError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {exc}") from None
        if issued.user_created:
            self.stderr.write(f"Created the API-only user {username} (no password, no admin).")
        what = "New" if issued.created else "Existing"
        self.stderr.write(f"{what} API token of {username} (header `Authorization: Token <it>`):")
        self.stdout.write(issued.key)
