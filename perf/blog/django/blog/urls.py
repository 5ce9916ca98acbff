from django.urls import path

from demo.views import demo_views, idle_views

urlpatterns = [
    path("demo", demo_views),
    path("idle", idle_views),
]
