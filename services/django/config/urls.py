"""The four endpoints, exact paths without trailing slashes, and JSON for every error page.

https://docs.djangoproject.com/en/6.1/topics/http/urls/
"""

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
