"""The four endpoints, exact paths, and JSON error pages."""

from django.urls import path

from demo import views

urlpatterns = [
    path("demo", views.demo),
    path("idle", views.idle),
    path("healthz", views.healthz),
    path("readyz", views.readyz),
]

handler404 = "demo.errors.not_found"
handler500 = "demo.errors.server_error"
