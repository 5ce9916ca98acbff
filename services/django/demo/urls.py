"""The demo's routes: exact paths, no trailing slash (APPEND_SLASH is off, so no redirects).

https://docs.djangoproject.com/en/6.1/topics/http/urls/
"""

from django.urls import path

from demo import views

urlpatterns = [
    path("demo", views.demo, name="demo"),
    path("idle", views.idle, name="idle"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
