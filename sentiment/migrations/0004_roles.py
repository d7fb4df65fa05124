"""The annotators, reviewers and admins groups (sentiment/roles.py)."""

from django.db import migrations

from sentiment.roles import ADMINS, ROLES, apply_roles_in_migration


def forwards(apps, schema_editor):
    apply_roles_in_migration(apps)


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
