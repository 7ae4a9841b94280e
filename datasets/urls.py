"""Admin URLs of the datasets screens (mounted under /admin/donnees/)."""

from __future__ import annotations

from django.urls import path

from datasets import views

urlpatterns = [
    path("deposer/", views.upload_create_view, name="datasets_upload_create"),
    path("depot/<int:pk>/", views.upload_detail_view, name="datasets_upload"),
    path("depot/<int:pk>/fichier/", views.upload_raw_view, name="datasets_upload_raw"),
    path("depot/<int:pk>/correspondance/", views.mapping_view, name="datasets_mapping"),
    path("version/<int:pk>/", views.version_report_view, name="datasets_version"),
    path(
        "version/<int:pk>/rapport.xlsx",
        views.version_problems_xlsx_view,
        name="datasets_version_xlsx",
    ),
    path(
        "version/<int:pk>/donnees.csv",
        views.version_records_csv_view,
        name="datasets_version_csv",
    ),
    path(
        "version/<int:pk>/corriger/",
        views.version_reclean_view,
        name="datasets_version_reclean",
    ),
    path("version/<int:pk>/appariement/", views.review_view, name="datasets_review"),
    path("version/<int:pk>/reapparier/", views.rematch_view, name="datasets_rematch"),
]
