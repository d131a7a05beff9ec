"""Curate instruction-tuning data into clean, documented, licence-checked mixtures."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("instruct-curator")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
