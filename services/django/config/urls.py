"""URL configuration: the demo app's four endpoints, and JSON for every error page.

https://docs.djangoproject.com/en/6.1/topics/http/urls/
https://docs.djangoproject.com/en/6.1/topics/http/views/#customizing-error-views
"""

from django.urls import include, path

urlpatterns = [
    path("", include("demo.urls")),
]

handler404 = "demo.views.not_found"
handler500 = "demo.views.server_error"
