"""Server settings: a frozen dataclass, read from ``ICC_*`` environment variables only when
``create_app`` is given none."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from icc_graph.namespaces import DEFAULT_BASE_IRI


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
    max_body_bytes: int = 1 << 20  # largest request body accepted (413 beyond)
    client_concurrency: int = 5  # queries one client may run at once (429 beyond)
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed
    cache_bytes: int = 64 << 20  # the response cache's bound in bytes
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            return cls(
                release=Path(env.get("ICC_RELEASE", "dist")).absolute(),  # against the cwd, once
                base_iri=env.get("ICC_BASE_IRI", DEFAULT_BASE_IRI),
                sparql_endpoint=env.get("ICC_SPARQL_ENDPOINT") or None,
                query_timeout=float(env.get("ICC_QUERY_TIMEOUT", "10")),
                max_rows=int(env.get("ICC_MAX_ROWS", "10000")),
                query_workers=int(env.get("ICC_QUERY_WORKERS", "2")),
                cache_size=int(env.get("ICC_CACHE_SIZE", "2048")),
            )
        except ValueError as exc:
            raise SystemExit(f"error: a setting is not a number: {exc} "
                             "(ICC_QUERY_TIMEOUT is seconds, ICC_MAX_ROWS and "
                             "ICC_QUERY_WORKERS and ICC_CACHE_SIZE are whole numbers)") from None
