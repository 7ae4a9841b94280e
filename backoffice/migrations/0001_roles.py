"""Create the six groups of DESIGN.md §2 with the permissions that exist now."""

from django.db import migrations

from backoffice.roles import apply_roles


def remove_wagtail_default_groups(apps, schema_editor):
    """Wagtail creates "Moderators" and "Editors"; DataMed uses its own six roles."""
    group_model = apps.get_model("auth", "Group")
    group_model.objects.filter(
        name__in=("Moderators", "Editors"), user__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tasks", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [
        migrations.RunPython(remove_wagtail_default_groups, migrations.RunPython.noop),
        migrations.RunPython(apply_roles, migrations.RunPython.noop),
    ]
