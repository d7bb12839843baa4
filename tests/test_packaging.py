"""The wheel holds every package of the project: a package missing from pyproject.toml's list
installs without error and fails at its first import."""

from __future__ import annotations

import tomllib

from icc_graph.paths import ROOT


def test_every_package_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in ("icc_graph", "server") for init in (ROOT / top).rglob("__init__.py")
             if "resources" not in init.parent.relative_to(ROOT).parts[1:2]
             or init.parent.name == "resources"}
    assert found - listed == set(), "packages missing from [tool.setuptools] packages"
