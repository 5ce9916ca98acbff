"""Load tests for the four demo services: seed the blog's table, drive locust, report.

``python -m loadtest {seed,run,worker,report}``; see README.md. Importing this package imports
nothing heavy: locust (which monkey-patches the process with gevent) is imported only by the
commands that generate load.
"""

__version__ = "0.1.0"
