"""The annotators, reviewers and admins groups (sentiment/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from sentiment.roles import ADMINS, ROLES, apply_roles


def forwards(apps, schema_editor):
    # Permissions are normally created after `migrate` finishes: create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), skip_missing=True
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[*ROLES, ADMINS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sentiment", "0003_annotations_from_labels"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
