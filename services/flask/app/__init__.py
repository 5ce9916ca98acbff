"""The blog's MySQL lookup as a Flask app: the application factory.

https://flask.palletsprojects.com/en/stable/tutorial/factory/ . Served by gunicorn's gevent
workers (gunicorn.conf.py) as ``gunicorn "app:create_app()"``: each worker calls the factory
once, after gevent's monkey patching, and so gets its own pool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import config, db, errors, views
from app.json_provider import OrjsonProvider


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__)
    # Flask reads FLASK_DEBUG from the environment; a stray one in a container must not turn
    # on debug behaviour (exceptions propagating past the JSON error handlers).
    app.config["DEBUG"] = False
    # Every endpoint is GET/HEAD only; an OPTIONS answer would hide the 405 the contract wants.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    # JSON out through orjson, for the views' return values as for jsonify().
    app.json = OrjsonProvider(app)
    # Paths are matched exactly as they arrive (README.md, "The contract"): werkzeug would
    # otherwise redirect /demo//x to /demo/x (https://werkzeug.palletsprojects.com/en/stable/routing/#rule-format),
    # and it drops a path's leading slashes whatever the setting (views.exact_path).
    app.url_map.merge_slashes = False
    app.before_request(views.exact_path)

    if test_config is None:
        # Read the environment once, now; a missing or malformed DATABASE_URL stops the worker
        # from booting, loudly, rather than failing on the first request.
        app.config.from_mapping(config.from_environ(os.environ))
    else:
        # Tests pass their own settings, in the same shape.
        app.config.from_mapping(test_config)

    # The pool object now; its connections open when the worker starts (gunicorn.conf.py).
    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app
