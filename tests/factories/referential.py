"""The referential's rows without a BDPM import: for tests of what reads them
(aliases, corrections, walls); the import itself is tested on real files."""

from __future__ import annotations

import factory

from referential_admin.matching import normalise_label
from referential_admin.models import Alias, AtcCorrection, Presentation, Speciality
from tests.factories.users import UserFactory


class SpecialityFactory(factory.django.DjangoModelFactory[Speciality]):
    class Meta:
        model = Speciality
        django_get_or_create = ("cis",)

    cis = factory.Sequence(lambda n: f"{69000000 + n:08d}")
    name = factory.Sequence(lambda n: f"SPECIALITE {n} 500 mg, comprimé")
    pharmaceutical_form = "comprimé"
    row_hash = factory.Sequence(lambda n: f"{n:016x}")


class PresentationFactory(factory.django.DjangoModelFactory[Presentation]):
    class Meta:
        model = Presentation

    cip13 = factory.Sequence(lambda n: f"34009{n:08d}")
    cip7 = factory.LazyAttribute(lambda p: p.cip13[5:12])
    speciality = factory.SubFactory(SpecialityFactory)
    label = factory.Sequence(lambda n: f"plaquette(s) de {n} comprimé(s)")
    row_hash = factory.Sequence(lambda n: f"{n:016x}")


class AliasFactory(factory.django.DjangoModelFactory[Alias]):
    """A family's alias decided by a person (``family=""``: shared by all)."""

    class Meta:
        model = Alias

    label = factory.Sequence(lambda n: f"Libellé maison {n}")
    normalised_label = factory.LazyAttribute(lambda a: normalise_label(a.label))
    family = "shortages"
    speciality = factory.SubFactory(SpecialityFactory)
    created_by = factory.SubFactory(UserFactory)


class AtcCorrectionFactory(factory.django.DjangoModelFactory[AtcCorrection]):
    class Meta:
        model = AtcCorrection

    speciality = factory.SubFactory(SpecialityFactory)
    atc_code = "N02BE01"
    created_by = factory.SubFactory(UserFactory)
