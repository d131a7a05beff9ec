"""A run's folder and manifest: the typed layout every reader and writer of a run goes through."""

from curator.run.folder import RunFolder
from curator.run.manifest import Manifest

__all__ = ["Manifest", "RunFolder"]
