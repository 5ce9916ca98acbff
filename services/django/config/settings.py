"""Django settings for the demo service, every deployment's value read from the environment.

gunicorn.conf.py imports this module in the gunicorn master: it must not import ``django.db``.
https://docs.djangoproject.com/en/6.1/ref/settings/
https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/
"""

import math
import os

from config import env, logs

# The server (gunicorn.conf.py).
PORT = env.integer("PORT", 8000, maximum=65535)
WEB_CONCURRENCY = env.integer("WEB_CONCURRENCY", 1)
WORKER_MODEL = env.choice("WORKER_MODEL", ("gevent", "threads"))
DB_POOL_SIZE = env.integer("DB_POOL_SIZE", 10)
# A thread per pooled connection: any more would wait for one, any fewer leave one unused.
WORKER_THREADS = env.integer("WORKER_THREADS", DB_POOL_SIZE)
ACCESS_LOG = env.boolean("ACCESS_LOG")

# Security
# https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/#critical-settings

SECRET_KEY = env.required("DJANGO_SECRET_KEY")  # never a built-in fallback
DEBUG = False  # never switchable from the environment
# "*" by default: Kubernetes probes and in-cluster callers use the pod's IP.
ALLOWED_HOSTS = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")]

# Application definition: a JSON API over one table, with no admin, auth, sessions, templates
# or static files, so no middleware but the error table's. APPEND_SLASH off: /demo/ is a 404,
# never a redirect.
INSTALLED_APPS = ["demo"]
MIDDLEWARE = ["demo.errors.ErrorMiddleware"]
APPEND_SLASH = False
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# `check --deploy` asks for the middleware that protects browser pages (framing, CSRF, HTTPS
# redirects, HSTS): a JSON API without cookies has none, and TLS ends in front of it.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

# Database
# https://docs.djangoproject.com/en/6.1/ref/databases/#mysql-notes

DB_CONNECT_TIMEOUT = env.seconds("DB_CONNECT_TIMEOUT", 2)
DB_QUERY_TIMEOUT = env.seconds("DB_QUERY_TIMEOUT", 5)
DATABASE = env.database_url("DATABASE_URL")
DATABASES = {
    "default": {
        **DATABASE,
        # Django's MySQL backend with a bounded pool per process (config/db/).
        "ENGINE": "config.db",
        # Each request hands its connection back to the pool when it ends.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            **DATABASE["OPTIONS"],
            "charset": "utf8mb4",
            # TIMESTAMP columns then come out in UTC, which is what USE_TZ expects.
            "init_command": "SET time_zone = '+00:00'",
            # Whole seconds, rounded up: zero would mean "wait forever", which greenify's
            # poll hook turns into "give up at once".
            "connect_timeout": math.ceil(DB_CONNECT_TIMEOUT),
            "read_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "write_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "pool": {
                "max_size": DB_POOL_SIZE,
                "timeout": env.seconds("DB_POOL_TIMEOUT", 5),
                # Below the 4 minutes after which cloud NATs drop idle TCP flows silently.
                "max_lifetime": 180,
                "open_timeout": DB_CONNECT_TIMEOUT,
            },
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Internationalization and time
# https://docs.djangoproject.com/en/6.1/topics/i18n/timezones/

USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"

# Logging: one line per record, on stderr (config/logs.py).
# https://docs.djangoproject.com/en/6.1/topics/logging/

LOGGING = logs.config()
