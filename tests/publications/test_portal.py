"""The public portal: search, speciality pages with their shortage history from
the current release only, the dataset catalogue, sitemap and robots.txt. Every
page is rendered on the server (no JavaScript needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from publications.models import Release
from publications.services import release_rollback
from tests.datasets.conftest import DOLIPRANE
from tests.factories.extracts import MATCHED_ROWS, ingest
from tests.factories.reviews import approve

pytestmark = pytest.mark.django_db


def html(url: str, **params: Any) -> str:
    response = Client().get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_home_page_searches_by_name_substance_and_codes(
    small_referential: None,
) -> None:
    page = html("/")
    assert '<form method="get"' in page and 'name="q"' in page
    for query in ("doliprane", "DOLIPRANE 1000", DOLIPRANE, "3400935955838"):
        assert f"/medicament/{DOLIPRANE}/" in html("/", q=query), query
    nothing = html("/", q="zzzz")
    assert "Aucun médicament ne correspond" in nothing


def test_a_misspelt_name_gets_suggestions(small_referential: None) -> None:
    page = html("/", q="dolipranne")
    assert "Vouliez-vous dire" in page
    assert f"/medicament/{DOLIPRANE}/" in page


def test_a_speciality_page_shows_the_published_shortages_only(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    url = f"/medicament/{DOLIPRANE}/"
    page = html(url)
    assert "DOLIPRANE" in page and "3400935955838" in page
    assert "Aucune donnée de rupture n’a encore été publiée." in page
    version = ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"])
    assert "21-1" not in html(url)  # a draft is never shown
    approve(version, team)
    page = html(url)
    assert "21-1" in page and "21-2" in page
    assert "Rupture de stock" in page and "Risque de rupture" in page
    assert "publication 1" in page
    assert Client().get("/medicament/99999999/").status_code == 404
    assert Client().get("/medicament/abc/").status_code == 404


def test_the_catalogue_lists_releases_downloads_and_rollbacks(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    assert "Rien n’a encore été publié." in html("/jeux-de-donnees/")
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    second = MATCHED_ROWS.replace("21-2", "21-5")
    approve(ingest(tmp_path, second, team["inspection_declarant"], "b.csv"), team)
    release_rollback(
        family="shortages", user=team["data_office"], note="Version 2 incomplète."
    )
    page = html("/jeux-de-donnees/")
    assert "Ruptures et risques de rupture de stock" in page
    assert "/donnees/shortages/derniere/csv/" in page
    assert "/donnees/shortages/publication/2/csv/" in page
    assert "Version 2 incomplète." in page and "retour arrière" in page
    assert Release.objects.count() == 3


def test_sitemap_and_robots(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    sitemap = html("/sitemap.xml")
    assert f"/medicament/{DOLIPRANE}/" in sitemap and "/jeux-de-donnees/" in sitemap
    robots = html("/robots.txt")
    assert "Disallow: /admin/" in robots and "sitemap.xml" in robots


def test_pages_carry_canonical_and_open_graph_tags(small_referential: None) -> None:
    page = html(f"/medicament/{DOLIPRANE}/")
    assert '<link rel="canonical"' in page and 'property="og:title"' in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_public_page_is_served_from_the_cache_until_the_next_release(
    tmp_path: Path,
    media: Path,
    small_referential: None,
    team: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    url = f"/medicament/{DOLIPRANE}/"
    html(url)
    with django_assert_max_num_queries(8):  # site, page, published state: no content
        assert "DOLIPRANE" in html(url)
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    assert "21-1" in html(url)  # a new release, a new key


def test_the_public_site_is_recreated_when_missing() -> None:
    """``portal_ensure`` (used after a flush) rebuilds the root, the portal page and
    the default site, and changes nothing when they exist."""
    from wagtail.models import Page, Site

    from publications.pages import PortalPage, portal_ensure

    first = portal_ensure()
    assert portal_ensure() == first
    Site.objects.all().delete()
    Page.objects.filter(depth__gte=2).delete()
    portal = portal_ensure()
    assert isinstance(portal, PortalPage)
    assert Site.objects.get(is_default_site=True).root_page_id == portal.pk
    assert "Médicaments" in html("/")


def test_a_medicine_of_major_therapeutic_interest_is_flagged(
    small_referential: None,
) -> None:
    from referential_admin.models import Speciality

    Speciality.objects.filter(cis=DOLIPRANE).update(is_mitm=True)
    page = html(f"/medicament/{DOLIPRANE}/")
    assert "Médicament d’intérêt thérapeutique majeur (MITM)" in page


def test_the_shortages_page_counts_the_current_release(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    assert "Aucune donnée de rupture" in html("/ruptures/")
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    page = html("/ruptures/")
    assert (
        "2 déclarations de ruptures ou de risques de rupture, dont 1 en cours" in page
    )
    assert (
        '<h2 class="fr-h5">Déclarations par année (de déclaration, à défaut de début)'
        "</h2>" in page
    )
    assert "2024" in page and "Rupture de stock" in page
    assert f"/medicament/{DOLIPRANE}/" in page  # the ongoing one, linked
    # Charts are SVG rendered on the server, each with its sentence.
    # One chart per breakdown of at least two categories: here the two
    # classifications (one year, one cause, no ATC code: their tables say it).
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("<svg") == 1 and "<script" not in main
    # A tie names every leader, in a stable order (the codes' order).
    assert "Ex æquo en tête : « Risque" in page
    assert "», « Rupture de stock » (1 sur 2 déclarations chacune)." in page


def test_a_substance_page_lists_its_medicines_and_their_shortages(
    tmp_path: Path, media: Path, small_referential: None, team: dict[str, Any]
) -> None:
    from referential_admin.models import Composition

    code = (
        Composition.objects.filter(speciality_id=DOLIPRANE)
        .values_list("substance_id", flat=True)
        .first()
    )
    assert f"/substance/{code}/" in html(f"/medicament/{DOLIPRANE}/")
    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    page = html(f"/substance/{code}/")
    assert "PARACÉTAMOL" in page.upper()
    assert f"/medicament/{DOLIPRANE}/" in page
    assert "<td>2</td><td>1</td>" in page.replace("\n", "")
    assert Client().get("/substance/inconnue/").status_code == 404


def test_the_agency_shows_its_name_and_colour_on_every_public_page(
    tmp_path: Path,
    media: Path,
    small_referential: None,
    team: dict[str, Any],
    settings: Any,
) -> None:
    """The operator block beside the Marianne block names the agency; its colour
    marks the header, the bars and the charts; a malformed colour is refused by
    the system check and the State's blue is used instead."""
    from django.core.checks import run_checks

    approve(ingest(tmp_path, MATCHED_ROWS, team["inspection_declarant"]), team)
    settings.DATAMED_AGENCY_NAME = "Agence d'essai"
    settings.DATAMED_AGENCY_COLOUR = "#7a1f5c"
    for url in ("/", "/ruptures/", f"/medicament/{DOLIPRANE}/", "/jeux-de-donnees/"):
        page = html(url)
        header = page.split('<div class="fr-header__operator">', 1)[1]
        assert (
            header.split("</div>", 1)[0]
            .strip()
            .startswith('<p class="datamed-operator">Agence d&#x27;essai</p>')
        )
        assert "--datamed-accent: #7a1f5c;" in page
    chart = html("/ruptures/").split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'fill="#7a1f5c"' in chart
    settings.DATAMED_AGENCY_COLOUR = "red; background: url(x)"
    page = html("/ruptures/")
    assert "--datamed-accent: #000091;" in page and "url(x)" not in page
    assert [m.id for m in run_checks() if m.id == "publications.W001"] == [
        "publications.W001"
    ]


def test_a_missing_page_answers_in_french_in_the_portal_and_in_json_under_the_api(
    small_referential: None,
) -> None:
    response = Client().get("/medicament/00000000/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page introuvable</h1>" in page and 'class="fr-header' in page
    api = Client().get("/api/v1/nothing-here/")
    assert api.status_code == 404 and api.json() == {"detail": "Introuvable."}


def test_the_error_page_stands_alone_in_french() -> None:
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()


def test_a_search_with_many_answers_says_how_many_it_does_not_list(
    small_referential: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publications import portal

    monkeypatch.setattr(portal, "SEARCH_LIMIT", 1)
    page = html("/", q="a")
    assert "Les 1 premiers des 3 médicaments trouvés pour « a »" in page
    assert "Aucun médicament trouvé pour « zzzzzz »" in html("/", q="zzzzzz")


def test_years_without_declarations_are_shown_as_zero() -> None:
    from datasets.families.shortages.public import every_year

    assert every_year([(2014, 3), (2017, 1), (None, 2)]) == [
        (2014, 3),
        (2015, 0),
        (2016, 0),
        (2017, 1),
        (None, 2),
    ]


def test_searches_are_rate_limited_per_client(
    small_referential: None, settings: Any
) -> None:
    from django.core.cache import cache

    settings.DATAMED_RATE_LIMITS = {"api": 0, "search": 2}
    cache.clear()
    client = Client(REMOTE_ADDR="192.0.2.7")
    assert [client.get("/", {"q": "doliprane"}).status_code for _ in range(2)] == [
        200,
        200,
    ]
    refused = client.get("/", {"q": "doliprane"})
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "Trop de recherches" in refused.content.decode()
    assert client.get("/").status_code == 200  # the home page itself is not a search


def test_unknown_parameters_do_not_grow_the_page_cache(
    small_referential: None, monkeypatch: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    written: list[str] = []
    real_set = cache.set

    def spy(key: str, *args: Any, **kwargs: Any) -> Any:
        written.append(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    client = Client()
    first = client.get("/", {"q": "doliprane"}).content
    pages = [k for k in written if k.startswith("portal:page:")]
    assert len(pages) == 1
    for n in range(5):
        assert client.get("/", {"q": "  doliprane ", f"x{n}": "1"}).content == first
    assert [k for k in written if k.startswith("portal:page:")] == pages
