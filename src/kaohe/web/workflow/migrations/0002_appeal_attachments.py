"""Appeals carry several attachments, each stored under its content hash.

The one attachment an appeal could carry before becomes its first
``AppealAttachment`` (same stored file, hash and size read from it), so no
evidence an appellant gave is lost.
"""

import hashlib

import django.db.models.deletion
from django.db import migrations, models

import kaohe.web.workflow.models

TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}


def move_attachments(apps, schema_editor):  # type: ignore[no-untyped-def]
    Appeal = apps.get_model("workflow", "Appeal")
    AppealAttachment = apps.get_model("workflow", "AppealAttachment")
    for appeal in Appeal.objects.exclude(attachment=""):
        name = appeal.attachment.name
        try:
            with appeal.attachment.open("rb") as handle:
                data = handle.read()
        except OSError:
            data = b""
        AppealAttachment.objects.create(
            appeal=appeal,
            file=name,
            original_name=name.rsplit("/", 1)[-1],
            content_type=TYPES.get(name[name.rfind(".") :].lower(), "application/octet-stream"),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppealAttachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(max_length=200, upload_to=kaohe.web.workflow.models.attachment_path, verbose_name="文件")),
                ("original_name", models.CharField(blank=True, max_length=200, verbose_name="原文件名")),
                ("content_type", models.CharField(max_length=60)),
                ("size", models.PositiveIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("uploaded_at", models.DateTimeField(auto_now_add=True)),
                ("appeal", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="attachments", to="workflow.appeal")),
            ],
            options={
                "verbose_name": "申诉附件",
                "verbose_name_plural": "申诉附件",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(move_attachments, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="appeal",
            name="attachment",
        ),
    ]
