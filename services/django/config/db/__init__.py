"""A pooled MySQL database backend: ``"ENGINE": "config.db"``."""
