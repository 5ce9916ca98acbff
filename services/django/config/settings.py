"""Django settings, every deployment's value read from the environment.

gunicorn.conf.py imports this module in the gunicorn master: it must not import ``django.db``.
https://docs.djangoproject.com/en/6.1/ref/settings/
"""

import math
import os

from config import env, logs

# The server (gunicorn.conf.py).
PORT = env.integer("PORT", 8000, maximum=65535)
WEB_CONCURRENCY = env.integer("WEB_CONCURRENCY", 1)
WORKER_MODEL = env.choice("WORKER_MODEL", ("gevent", "threads"))
DB_POOL_SIZE = env.integer("DB_POOL_SIZE", 10)
# A thread per pooled connection: more would wait for one, fewer would leave one unused.
WORKER_THREADS = env.integer("WORKER_THREADS", DB_POOL_SIZE)
ACCESS_LOG = env.boolean("ACCESS_LOG")

# https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/#critical-settings
SECRET_KEY = env.required("DJANGO_SECRET_KEY")
DEBUG = False
# Kubernetes probes and in-cluster callers use the pod's IP.
ALLOWED_HOSTS = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")]

# A JSON API over one table: no admin, auth, sessions, templates or static files.
INSTALLED_APPS = ["demo"]
MIDDLEWARE = ["demo.errors.ErrorMiddleware"]
APPEND_SLASH = False  # /demo/ is a 404, never a redirect
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Framing, CSRF and HTTPS middleware protect browser pages; TLS ends in front of the service.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

# https://docs.djangoproject.com/en/6.1/ref/databases/#mysql-notes
DB_CONNECT_TIMEOUT = env.seconds("DB_CONNECT_TIMEOUT", 2)
DB_QUERY_TIMEOUT = env.seconds("DB_QUERY_TIMEOUT", 5)
DATABASE = env.database_url("DATABASE_URL")
DATABASES = {
    "default": {
        **DATABASE,
        "ENGINE": "config.db",  # Django's MySQL backend with a pool per process
        "CONN_MAX_AGE": 0,  # each request gives its connection back to the pool
        "OPTIONS": {
            **DATABASE["OPTIONS"],
            "charset": "utf8mb4",
            # TIMESTAMP columns in UTC, as USE_TZ expects.
            "init_command": "SET time_zone = '+00:00'",
            # Whole seconds, rounded up: greenify turns 0 ("wait forever") into "give up now".
            "connect_timeout": math.ceil(DB_CONNECT_TIMEOUT),
            "read_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "write_timeout": math.ceil(DB_QUERY_TIMEOUT),
            "pool": {  # config/db/pool.py's ConnectionPool arguments
                "max_size": DB_POOL_SIZE,
                "timeout": env.seconds("DB_POOL_TIMEOUT", 5),
                # Below the 4 minutes after which cloud NATs drop idle TCP flows silently.
                "max_lifetime": 180,
            },
        },
    }
}

USE_I18N = False
TIME_ZONE = "UTC"  # USE_TZ is on by default

LOGGING = logs.config()
