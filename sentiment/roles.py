"""The three roles, as Django groups with exact permissions (see docs/annotation.md).

- annotators label tweets: view and change tweets (the label only; see TweetAdmin) and view
  their own annotations. Nothing else: no deleting, no models, no users, no tokens.
- reviewers also settle disagreements and assign overlap (`settle_tweet`), import tweet files
  (`add_tweet`), export them (`export_tweet`), read the model's versions, runs and history
  (the model dashboard), train a new version from the admin (`start_retrain`) and score files
  as jobs (`add_job`, `view_job`). Activating a version stays with admins.
- admins have every permission of this project's apps and of user accounts.

The data migration 0004 creates the groups; `python manage.py setup_roles` puts them back to
these definitions (for instance after an app with new permissions is installed).
"""

from __future__ import annotations

from typing import Any

ANNOTATORS, REVIEWERS, ADMINS = "annotators", "reviewers", "admins"

_ANNOTATOR_PERMISSIONS = [
    "sentiment.view_tweet",
    "sentiment.change_tweet",
    "sentiment.view_annotation",
]
_REVIEWER_PERMISSIONS = [
    *_ANNOTATOR_PERMISSIONS,
    "sentiment.settle_tweet",
    "sentiment.add_tweet",
    "sentiment.export_tweet",
    "sentiment.view_modelversion",
    "sentiment.view_trainingrun",
    "sentiment.view_activation",
    "sentiment.start_retrain",
    "sentiment.add_job",
    "sentiment.view_job",
    "sentiment.add_shadowrun",  # put a version in shadow, end a shadow run
]
# Every permission of these apps, whatever models they have when the roles are applied. Not
# the admin app's: nobody may edit or delete the history (LogEntry) through a role.
ADMIN_APPS = ("sentiment", "auth", "authtoken")

ROLES: dict[str, list[str]] = {
    ANNOTATORS: _ANNOTATOR_PERMISSIONS,
    REVIEWERS: _REVIEWER_PERMISSIONS,
}


def apply_roles(
    group_model: Any, permission_model: Any, *, skip_missing: bool = False
) -> dict[str, int]:
    """Create or reset the three groups; returns the number of permissions of each.

    Takes the models as arguments so that a migration can pass its historical ones; an early
    migration passes `skip_missing` for the permissions of tables a later one creates (whose
    migration applies the roles again).
    """
    counts = {}
    for name, perms in ROLES.items():
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and not skip_missing:
                raise permission_model.DoesNotExist(f"no permission {perm}")
            if found is not None:
                wanted.append(found)
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(wanted)
        counts[name] = len(wanted)
    admins, _ = group_model.objects.get_or_create(name=ADMINS)
    everything = permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
    admins.permissions.set(everything)
    counts[ADMINS] = everything.count()
    return counts


def apply_roles_in_migration(apps: Any) -> None:
    """`apply_roles` from a data migration, with the historical models.

    Permissions are normally created after `migrate` finishes: they are created first, so that
    a model added by the same migration run has its permissions to give.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), skip_missing=True
    )
