"""The application factory: https://flask.palletsprojects.com/en/stable/tutorial/factory/

gunicorn calls it in each worker (``gunicorn "app:create_app()"``): one pool per worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import config, db, errors, views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__)
    # A stray FLASK_DEBUG must not let exceptions propagate past the JSON error handlers.
    app.config["DEBUG"] = False
    # OPTIONS is a 405 like every method but GET and HEAD.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    # Paths are matched as they arrive: no redirect from /demo//x to /demo/x.
    app.url_map.merge_slashes = False
    app.before_request(views.exact_path)
    app.config.from_mapping(config.from_environ() if test_config is None else test_config)
    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
