"""Server settings: one registry (``REGISTRY``) of every setting with its environment variable,
type, default and meaning; a frozen dataclass read from the ``ICC_*`` variables only when
``create_app`` is given none. docs/server.md lists them all (a test reads the registry)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from icc_graph.iri import IriError, check_iri
from icc_graph.namespaces import DEFAULT_BASE_IRI
from icc_graph.store.worker import MODES as QUERY_STORES  # what ICC_QUERY_STORE may be


class SettingsError(ValueError):
    """A setting has a value the server cannot use; the message names the variable and the fix."""


@dataclass(frozen=True)
class Setting:
    """One setting: its dataclass field, environment variable, type (as the docs name it) and
    meaning; ``parse`` turns the variable's text into the field's value or raises ValueError."""

    name: str
    env: str
    kind: str
    doc: str
    parse: Callable[[str], Any]
    check: Callable[[Any], str | None] = lambda _: None  # a complaint, or None when fine


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be more than 0"


def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _base(value: Any) -> str | None:
    ok = str(value).startswith(("http://", "https://")) and str(value).endswith("/")
    return None if ok else "must be an http(s) IRI ending with '/'"


def _endpoint(value: Any) -> str | None:
    if value is None:
        return None
    return None if str(value).startswith(("http://", "https://")) else "must be an http(s) URL"


def _iris(values: Any) -> str | None:
    for value in values:
        try:
            check_iri(value, "the endpoint")
        except IriError as exc:
            return str(exc)
    return None


def _addresses(values: Any) -> str | None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
    return None


def _one_of(*allowed: str) -> Callable[[Any], str | None]:
    return lambda value: None if value in allowed else f"must be one of {', '.join(allowed)}"


def _at_least(low: int) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else f"must be at least {low}"


REGISTRY: tuple[Setting, ...] = (
    Setting("release", "ICC_RELEASE", "path", "the release folder `build` wrote (its `current` "
            "version is served) or one version folder; a relative path is taken from the folder "
            "the server is started in, once", lambda text: Path(text).absolute()),
    Setting("base_iri", "ICC_BASE_IRI", "IRI", "canonical base of every IRI; the server maps the "
            "part after it onto its own paths", str, _base),
    Setting("sparql_endpoint", "ICC_SPARQL_ENDPOINT", "URL", "a SPARQL 1.1 query endpoint to "
            "answer from instead of the release's embedded store", lambda v: v or None, _endpoint),
    Setting("query_timeout", "ICC_QUERY_TIMEOUT", "seconds", "wall-clock bound of a query, "
            "waiting for a worker included; past it the answer is 503 with Retry-After", float,
            _positive),
    Setting("max_rows", "ICC_MAX_ROWS", "whole number", "most rows (or triples) a query returns; "
            "the response says when it was cut", int, _positive),
    Setting("query_workers", "ICC_QUERY_WORKERS", "whole number", "processes that run SPARQL "
            "queries in each server process", int, _positive),
    Setting("cache_size", "ICC_CACHE_SIZE", "whole number", "documents and query results each "
            "server process keeps; 0 turns the cache off", int, _not_negative),
    Setting("service_allow", "ICC_SERVICE_ALLOW", "IRIs, space-separated", "the only endpoints "
            "a SERVICE clause may call (none by default: federation is off)", _words, _iris),
    Setting("worker_memory_mib", "ICC_WORKER_MEMORY_MIB", "MiB", "memory limit of one query "
            "worker, a copy of the store included (ICC_QUERY_STORE); a query that needs more gets "
            "503 and the worker is replaced", int,
            _at_least(64)),
    Setting("query_store", "ICC_QUERY_STORE", "`auto`, `disk` or `memory`", "what the query "
            "workers query: `memory`, a copy of the store each worker makes in its memory once "
            "started (answering from the files meanwhile; SPARQL 1.2–1.6 times faster, each "
            "worker larger by about 350 bytes a quad; the copy is dropped if it would take more "
            "than half of ICC_WORKER_MEMORY_MIB); `disk`, the store's files; `auto`, a copy when "
            "it is estimated at 64 MiB or less (about 110 000 quads), else the files", str.lower,
            _one_of(*QUERY_STORES)),
    Setting("max_body_bytes", "ICC_MAX_BODY_BYTES", "bytes", "largest request body accepted; a "
            "larger one gets 413", int, _at_least(1024)),
    Setting("client_concurrency", "ICC_CLIENT_CONCURRENCY", "whole number", "queries one client "
            "may run at once; beyond it the answer is 429 with Retry-After", int, _positive),
    Setting("trusted_proxies", "ICC_TRUSTED_PROXIES", "addresses, space-separated", "peers "
            "whose X-Forwarded-For names the client (none by default: the peer is the client)",
            _words, _addresses),
    Setting("cache_bytes", "ICC_CACHE_BYTES", "bytes", "bound of the response cache of each "
            "server process, in bytes", int, _not_negative),
)


@dataclass(frozen=True)
class Settings:
    release: Path = Path("dist")
    base_iri: str = DEFAULT_BASE_IRI
    sparql_endpoint: str | None = None
    query_timeout: float = 10.0
    max_rows: int = 10_000
    query_workers: int = 2
    cache_size: int = 2048
    # the public-endpoint bounds (a setting each; see docs/server.md)
    service_allow: tuple[str, ...] = ()  # SERVICE endpoints a query may call; none by default
    worker_memory_mib: int = 1024  # memory limit of one query worker
    query_store: str = "auto"  # "memory": each query worker queries a copy in its memory
    max_body_bytes: int = 1 << 20  # largest request body accepted (413 beyond)
    client_concurrency: int = 5  # queries one client may run at once (429 beyond)
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed
    cache_bytes: int = 64 << 20  # the response cache's bound in bytes
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for setting in REGISTRY:
            value = getattr(self, setting.name)
            problem = setting.check(value)
            if problem:
                shown = " ".join(value) if isinstance(value, tuple) else str(value)
                raise SettingsError(f"setting {setting.env} = {shown!r}: "
                                    f"{problem} ({setting.kind}: {setting.doc})")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of the ``ICC_*`` variables in ``env`` (default: the environment);
        ``SettingsError`` names the first variable whose value cannot be used."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in REGISTRY:
            if setting.env not in env:
                continue
            text = env[setting.env].strip()
            try:
                values[setting.name] = setting.parse(text)
            except ValueError:
                raise SettingsError(f"setting {setting.env} = {text!r} is not {_a(setting.kind)} "
                                    f"({setting.doc})") from None
        return cls(**values)


def defaults() -> dict[str, Any]:
    """Each setting's default value, by field name (what docs/server.md shows)."""
    return {f.name: f.default for f in fields(Settings) if f.name != "extra"}


def _a(kind: str) -> str:
    return {"seconds": "a number of seconds", "MiB": "a whole number of MiB",
            "bytes": "a whole number of bytes", "whole number": "a whole number"}.get(kind, kind)


assert {s.name for s in REGISTRY} == set(defaults()), "every field is in the registry"
