"""The demo: a name lookup on ``demo_data``, plus the probes."""
