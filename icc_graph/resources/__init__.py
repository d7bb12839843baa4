"""The files the package ships: the ontology, the shapes and the example queries (links to the
project's ``ontology/``, ``shapes/`` and ``data/queries/`` in a checkout, copies in a wheel)."""
