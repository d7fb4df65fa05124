from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from sentiment.roles import apply_roles


class Command(BaseCommand):
    help = (
        "Create the annotators, reviewers and admins groups, or reset their permissions to "
        "the documented ones (docs/annotation.md). Safe to re-run."
    )

    def handle(self, *args, **options):
        for name, count in apply_roles(Group, Permission).items():
            self.stdout.write(f"{name}: {count} permissions")
