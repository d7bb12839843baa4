"""SHACL validation with pySHACL, reported in the terms of the records that must be fixed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .errors import Problem
from .namespaces import DEFAULT_BASE_IRI
from .paths import SHAPES
from .records import Where

SH = Namespace("http://www.w3.org/ns/shacl#")


def shapes_text(base: str = DEFAULT_BASE_IRI) -> str:
    """The shapes' Turtle, with the scheme IRIs they name moved onto the configured base."""
    text = SHAPES.read_text(encoding="utf-8")
    if base != DEFAULT_BASE_IRI:
        text = text.replace(f"<{DEFAULT_BASE_IRI}id/", f"<{base}id/")
    return text


def load_shapes(base: str = DEFAULT_BASE_IRI) -> Graph:
    """The shapes, with the scheme IRIs they name moved onto the configured base."""
    return Graph().parse(data=shapes_text(base), format="turtle")


def _spans_records(shapes: Graph, prop: Node) -> bool:
    """A property shape whose path leaves its focus node and comes back through another
    (``icc:slug / ^icc:slug``: two things with one slug)."""
    path = shapes.value(prop, SH.path)
    if path is None or isinstance(path, URIRef):
        return False
    return any(shapes.value(step, SH.inversePath) is not None
               for step in Collection(shapes, path))


def split_shapes(shapes: Graph) -> tuple[Graph, Graph]:
    """The shapes as two graphs: those checked on one record's part of the graph, and the rules
    that span records (checked once over the whole graph's slugs and types)."""
    spanning = {o for _, o in shapes.subject_objects(SH.property) if _spans_records(shapes, o)}
    per_unit, across = Graph(), Graph()
    for s, p, o in shapes:
        if p == SH.property:
            (across if o in spanning else per_unit).add((s, p, o))
        else:
            per_unit.add((s, p, o))
            across.add((s, p, o))
    return per_unit, across


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str


def _short(graph: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # an IRI no prefix covers
            return f"<{node}>"
    if isinstance(node, Literal):
        return repr(str(node))
    # a path given as an RDF list or an inverse path
    return "(a property path)"


def run_shacl(data: Graph, ontology: Graph | None = None,
              shapes: Graph | None = None) -> list[Violation]:
    """Validate without inference, over the data plus the ontology (which carries the roles)."""
    target = data
    if ontology is not None:
        target = Graph()
        for t in data:
            target.add(t)
        for t in ontology:
            target.add(t)
    from pyshacl import validate as shacl_validate  # imported when there is work for it

    conforms, report, _ = shacl_validate(
        target, shacl_graph=shapes if shapes is not None else load_shapes(),
        inference="none", abort_on_first=False, allow_warnings=True,
    )
    return [] if conforms else _violations(report, data)


def _targets(shapes: Graph, shape: Node, data: Graph) -> set[Node]:
    """The focus nodes a node shape selects in ``data`` (the target kinds the shapes use; the
    data has no rdfs:subClassOf, so a class target is the nodes of that rdf:type)."""
    found: set[Node] = set()
    for cls in shapes.objects(shape, SH.targetClass):
        found.update(data.subjects(RDF.type, cls))
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        found.update(s for s, _ in data.subject_objects(p))
    for p in shapes.objects(shape, SH.targetObjectsOf):
        found.update(o for _, o in data.subject_objects(p))
    found.update(shapes.objects(shape, SH.targetNode))
    return found


TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)


def run_shacl_on(data: Graph, shapes: Graph, focus: set[str]) -> list[Violation]:
    """Validate only the nodes of ``focus`` (IRIs), each against the shapes that target it.

    ``data`` may hold other nodes (what the focus nodes point to, with their types): they are
    not validated. The shapes are run once, targeted at those nodes alone (``targeted``)."""
    from pyshacl import validate as shacl_validate  # imported when there is work for it

    targeted = targeted_at(shapes, data, focus)
    if targeted is None:
        return []
    conforms, report, _ = shacl_validate(
        data, shacl_graph=targeted, inference="none", abort_on_first=False,
        allow_warnings=True)
    return [] if conforms else _violations(report, data)


def targeted_at(shapes: Graph, data: Graph, focus: set[str]) -> Graph | None:
    """The shapes with each node shape's targets replaced by ``sh:targetNode`` for the nodes
    of ``focus`` it selects in ``data``, and its property shapes given those targets of their
    own instead of being reached through ``sh:property``; None when no shape selects any.

    SHACL gives the same results both ways (a property shape of a node shape validates the
    node shape's focus nodes; a result names the property shape either way), but pySHACL
    checks a property shape reached through ``sh:property`` one focus node at a time, making
    its constraints again for each: that was most of the validation's time. A node shape that
    another shape refers to (``sh:node``, ``sh:qualifiedValueShape``, ...) or whose property
    shapes depend on it (``_separable``) keeps its property shapes, and a deactivated one
    selects nothing. pySHACL's own ``focus_nodes`` option is not
    used: it also filters the value nodes of nested shapes (literals among them), so a nested
    shape would pass them unchecked. tests/test_validation_incremental.py holds the results to
    those of the whole graph validated with the shapes as written."""
    node_shapes = {s for t in TARGETS for s in shapes.subjects(t, None)}
    referred = {s for s in node_shapes if any(True for _ in shapes.subject_predicates(s))
                or not _separable(shapes, s)}
    out = Graph(store="SimpleMemory")
    for prefix, namespace in shapes.namespaces():  # pySHACL's own messages name terms by them
        out.bind(prefix, namespace, replace=True)
    for s, p, o in shapes:
        if s in node_shapes and (p in TARGETS or (p == SH.property and s not in referred)):
            continue
        out.add((s, p, o))
    selected = False
    for shape in sorted(node_shapes, key=str):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        nodes = sorted((n for n in _targets(shapes, shape, data)
                        if isinstance(n, URIRef) and str(n) in focus), key=str)
        if not nodes:
            continue
        selected = True
        properties = [] if shape in referred else list(shapes.objects(shape, SH.property))
        for node in nodes:
            out.add((shape, SH.targetNode, node))
            for prop in properties:
                out.add((prop, SH.targetNode, node))
    return out if selected else None


def _separable(shapes: Graph, shape: Node) -> bool:
    """Whether a node shape's property shapes give the same results targeted on their own:
    not when the node shape is closed (its property shapes name what it allows) or has a
    severity of its own, nor when one of them is shared with another shape or is a qualified
    shape disjoint from its siblings (found through the node shape)."""
    if shapes.value(shape, SH.closed) is not None or shapes.value(shape, SH.severity) is not None:
        return False
    for prop in shapes.objects(shape, SH.property):
        if len(set(shapes.subjects(SH.property, prop))) > 1 or \
                shapes.value(prop, SH.qualifiedValueShapesDisjoint) is not None:
            return False
    return True


def _violations(report: object, data: Graph) -> list[Violation]:
    assert isinstance(report, Graph)
    report.namespace_manager = data.namespace_manager
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        out.append(Violation(
            focus=str(report.value(result, SH.focusNode)),
            path=_short(report, report.value(result, SH.resultPath)),
            value=_short(report, report.value(result, SH.value)),
            message=str(report.value(result, SH.resultMessage) or "violates a shape"),
            shape=str(report.value(result, SH.sourceShape)),
        ))
    return sorted(out, key=lambda v: (v.focus, v.path or "", v.message))


def as_problems(violations: list[Violation], where: Mapping[str, Where]) -> list[Problem]:
    """Violations named by the record file and line of their focus node when it is known."""
    problems = []
    for v in violations:
        loc = where.get(v.focus)
        value = f" (value: {v.value})" if v.value else ""
        problems.append(Problem(
            f"{v.message}{value} [{v.focus}]",
            file=loc.file if loc else None,
            line=loc.line if loc else None,
            field=v.path,
        ))
    return problems
