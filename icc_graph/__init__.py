"""icc-graph: the Intercultural Cities good practices as a linked-data knowledge graph."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("icc-graph")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
