"""WSGI entry point, ``config.wsgi:application``.

https://docs.djangoproject.com/en/6.1/howto/deployment/wsgi/gunicorn/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
