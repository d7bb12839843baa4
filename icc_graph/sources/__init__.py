"""The importers: each reads one kind of source and writes records or reviewed link files under
``data/``, never RDF. They share one write policy (``policy.py``) and one name index
(``nameindex.py``)."""
