"""The load bench: a large data set in a separate PostgreSQL database, and per-page figures.

`make bench` (or `python -m bench seed` then `python -m bench run`); see bench/README.md.
"""
