"""fleetctl: check and try out stacks locally, diff, promote and roll back releases, audit the live fleet."""

__version__ = "0.1.0"
"""The version of fleet (the program and this command): `pyproject.toml` reads it from here."""
