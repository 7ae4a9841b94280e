"""Admin URLs of the review (mounted under /admin/validation/)."""

from __future__ import annotations

from django.urls import path

from workflows.views import review

urlpatterns = [
    path("version/<int:pk>/", review.review_view, name="workflows_review"),
    path("version/<int:pk>/soumettre/", review.submit_view, name="workflows_submit"),
    path("version/<int:pk>/decision/", review.decide_view, name="workflows_decide"),
    path("version/<int:pk>/retirer/", review.cancel_view, name="workflows_cancel"),
]
