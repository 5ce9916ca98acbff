"""App configuration. https://docs.djangoproject.com/en/6.1/ref/applications/"""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
