"""icc-graph: the Intercultural Cities good practices as a linked-data knowledge graph."""


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package's metadata when first asked for (so that
    a query worker, which never asks, does not load importlib.metadata)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("icc-graph")
    except PackageNotFoundError:  # running from a source tree that was not installed
        value = "0.0.0"
    globals()["__version__"] = value
    return value
