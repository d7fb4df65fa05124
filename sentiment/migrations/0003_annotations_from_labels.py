"""Labels given in the admin before annotations existed become their author's annotation."""

from django.db import migrations

CHUNK = 2000


def forwards(apps, schema_editor):
    Tweet = apps.get_model("sentiment", "Tweet")
    Annotation = apps.get_model("sentiment", "Annotation")
    labelled = Tweet.objects.exclude(label="").filter(annotated_by__isnull=False).order_by("pk")
    last = 0
    while True:
        rows = list(
            labelled.filter(pk__gt=last).values_list(
                "pk", "annotated_by_id", "label", "annotated_at", "created_at"
            )[:CHUNK]
        )
        if not rows:
            return
        Annotation.objects.bulk_create(
            Annotation(
                tweet_id=pk,
                annotator_id=user,
                label=label,
                created_at=at or created,
                updated_at=at or created,
            )
            for pk, user, label, at, created in rows
        )
        Tweet.objects.filter(pk__in=[row[0] for row in rows]).update(annotation_count=1)
        last = rows[-1][0]


def backwards(apps, schema_editor):
    apps.get_model("sentiment", "Annotation").objects.all().delete()
    apps.get_model("sentiment", "Tweet").objects.update(annotation_count=0)


class Migration(migrations.Migration):
    dependencies = [("sentiment", "0002_annotations")]

    operations = [migrations.RunPython(forwards, backwards)]
