"""Django settings for the demo service.

Everything that differs between deployments comes from the environment (README.md lists the
variables) and is read once, here, when the worker loads the project.

https://docs.djangoproject.com/en/6.1/topics/settings/
https://docs.djangoproject.com/en/6.1/ref/settings/
https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/
"""

import math

from config import env

# Security
# https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/#critical-settings

# Required, no built-in fallback: the checklist forbids a key committed to the repository.
SECRET_KEY = env.required("DJANGO_SECRET_KEY")

# Never switchable from the environment: a debug page would leak settings and SQL.
DEBUG = False

# "*" by default: Kubernetes probes and in-cluster callers address the pod by its IP, which
# is not known in advance. Set DJANGO_ALLOWED_HOSTS=api.example.com,... behind an ingress.
ALLOWED_HOSTS = env.comma_separated("DJANGO_ALLOWED_HOSTS", "*")

# Application definition
# https://docs.djangoproject.com/en/6.1/ref/applications/

# A JSON API over one table: no admin, auth, sessions, templates or static files.
INSTALLED_APPS = ["demo"]

# No middleware: nothing here uses sessions, CSRF, cookies or redirects (APPEND_SLASH is off,
# so /demo/ is a 404, never a redirect).
MIDDLEWARE: list[str] = []
APPEND_SLASH = False

# `manage.py check --deploy` misses the middleware that protects browser pages: framing,
# CSRF-protected forms, HTTPS redirects and HSTS (the latter two belong to whatever terminates
# TLS in front). A JSON API without cookies or sessions has no such pages.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Database
# https://docs.djangoproject.com/en/6.1/ref/settings/#databases
# https://docs.djangoproject.com/en/6.1/ref/databases/#mysql-notes

DB_CONNECT_TIMEOUT = env.seconds("DB_CONNECT_TIMEOUT", 2)
DB_QUERY_TIMEOUT = env.seconds("DB_QUERY_TIMEOUT", 5)

DATABASES = {
    "default": {
        # Django's MySQL backend plus a bounded per-process pool (config/db/): Django's own
        # pool is PostgreSQL-only, and without one every request opens a new connection.
        "ENGINE": "config.db",
        **env.mysql_url("DATABASE_URL"),
        # Each request hands its connection back to the pool when it ends.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "charset": "utf8mb4",
            # The TIMESTAMP columns then come out in UTC, which is what USE_TZ expects.
            "init_command": "SET time_zone = '+00:00'",
            # mysqlclient takes whole seconds; round up so a timeout is never zero (zero
            # means "wait forever", and greenify's wait cannot express that).
            "connect_timeout": math.ceil(DB_CONNECT_TIMEOUT),
            "read_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "write_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "pool": {
                "max_size": env.positive_int("DB_POOL_SIZE", 10),
                # Seconds a request waits for a free connection, then 503.
                "timeout": env.seconds("DB_POOL_TIMEOUT", 5),
                # Closed and replaced at checkout once this old: below the 4 minutes after
                # which cloud load balancers and NATs drop idle TCP flows without a word.
                "max_lifetime": 180,
                # The worker's start waits this long for the pool to fill, then goes on.
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

# Logging
# https://docs.djangoproject.com/en/6.1/topics/logging/

# One line per record on stderr, next to gunicorn's own log: a 503 at WARNING (the views log
# it, config/db/ logs a pool that did not fill), a 500 at ERROR (django.request logs it, with
# the exception's class, message and innermost frame). Client errors are not logged (the
# access log has them, when ACCESS_LOG is on).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "config.logs.OneLineFormatter",
            "format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        },
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "line"},
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # Django logs 4xx responses at WARNING: only its 5xx are wanted.
        "django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
