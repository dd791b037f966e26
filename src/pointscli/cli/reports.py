"""Commands: placeholder until this noun's commands are written."""


def register(app) -> None:
    """Add this module's commands to the app."""
