"""The blog's demo: a name lookup on ``demo_data``, plus the probes."""
