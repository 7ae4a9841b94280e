"""Raw extracts move out of MEDIA_ROOT into the private storage, under a neutral
name (family, month, SHA-256): nothing of an uploader's naming stays in a path a
web server could serve. A file already missing is left as it was (its upload
keeps its name and says the file is gone when read)."""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations, models

import backoffice.storage


def move_raw_files(apps, schema_editor):
    upload_model = apps.get_model("datasets", "Upload")
    media = Path(settings.MEDIA_ROOT)
    private = Path(settings.PRIVATE_ROOT)
    for upload in upload_model.objects.only("pk", "file", "family", "sha256", "uploaded_at"):
        old = media / upload.file.name
        if not upload.file.name or not old.is_file():
            continue
        relative = (
            Path("extracts")
            / upload.family
            / upload.uploaded_at.strftime("%Y/%m")
            / upload.sha256
        )
        target = private / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(old, target)
        upload_model.objects.filter(pk=upload.pk).update(file=str(relative))


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0005_upload_same_bytes_per_family"),
    ]

    operations = [
        migrations.AlterField(
            model_name="upload",
            name="file",
            field=models.FileField(
                max_length=255,
                storage=backoffice.storage.private_storage,
                upload_to="extracts/%Y/%m/",
                verbose_name="raw file",
            ),
        ),
        migrations.RunPython(move_raw_files, migrations.RunPython.noop),
    ]
