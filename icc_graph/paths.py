"""Where the project's own files are: the ontology, the shapes and the example queries ship
inside the package (``icc_graph/resources``), so an installed wheel finds them too."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
ONTOLOGY = RESOURCES / "ontology" / "icc.ttl"
SHAPES = RESOURCES / "shapes" / "icc-shapes.ttl"
QUERIES = RESOURCES / "queries"
ROOT = Path(__file__).resolve().parent.parent  # the checkout, for the data folder's default
