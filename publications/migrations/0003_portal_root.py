"""The public portal page becomes the root of the default site (idempotent)."""

from django.db import migrations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _next_path(path):
    number = int(path[-4:], 36) + 1
    digits = ""
    for _position in range(4):
        number, rest = divmod(number, 36)
        digits = ALPHABET[rest] + digits
    return path[:-4] + digits


def create_portal(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    page_model = apps.get_model("wagtailcore", "Page")
    site_model = apps.get_model("wagtailcore", "Site")
    locale_model = apps.get_model("wagtailcore", "Locale")
    portal_model = apps.get_model("publications", "PortalPage")
    if portal_model.objects.exists():
        return
    root = page_model.objects.filter(depth=1).first()
    if root is None:
        return
    portal_type, _created = content_type.objects.get_or_create(
        app_label="publications", model="portalpage"
    )
    last = page_model.objects.filter(depth=2).order_by("-path").first()
    path = _next_path(last.path) if last is not None else root.path + "0001"
    portal = portal_model.objects.create(
        title="DataMed",
        draft_title="DataMed",
        slug="datamed",
        content_type=portal_type,
        path=path,
        depth=2,
        numchild=0,
        url_path="/datamed/",
        live=True,
        locale=locale_model.objects.first(),
        seo_title="DataMed – données publiques de l'ANSM sur les médicaments",
    )
    root.numchild = page_model.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    sites = site_model.objects.all()
    if sites.exists():
        sites.filter(is_default_site=True).update(root_page=portal)
    else:
        site_model.objects.create(
            hostname="localhost", port=80, root_page=portal, is_default_site=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("publications", "0002_portal_page"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_portal, migrations.RunPython.noop)]
