"""pointscli: prepaid service points in one SQLite file."""

__version__ = "0.1.0"
