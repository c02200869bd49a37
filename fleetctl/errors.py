"""The error every part of fleetctl raises for a failure the user can act on, so data code never imports the CLI."""


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 2, no traceback."""
