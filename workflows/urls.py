"""Admin URLs of the review (mounted under /admin/validation/)."""

from __future__ import annotations

from django.urls import path

from workflows import views

urlpatterns = [
    path("version/<int:pk>/", views.review_view, name="workflows_review"),
    path("version/<int:pk>/soumettre/", views.submit_view, name="workflows_submit"),
    path("version/<int:pk>/decision/", views.decide_view, name="workflows_decide"),
    path("version/<int:pk>/retirer/", views.cancel_view, name="workflows_cancel"),
]
