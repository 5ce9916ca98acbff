"""A name lookup on ``demo_data``, and the probes."""
