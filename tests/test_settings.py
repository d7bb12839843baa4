"""Settings: one registry, read from the environment; a value the server cannot use is one
clear error naming the variable (never SystemExit, never a traceback from deep inside)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from server.settings import REGISTRY, Settings, SettingsError


def test_the_registry_has_every_field_and_one_variable_each():
    assert {s.name for s in REGISTRY} == {f.name for f in fields(Settings)} - {"extra"}
    envs = [s.env for s in REGISTRY]
    assert len(envs) == len(set(envs)) and all(e.startswith("ICC_") for e in envs)


def test_the_environment_sets_every_setting():
    env = {
        "ICC_RELEASE": "/srv/icc/dist", "ICC_BASE_IRI": "https://example.org/icc/",
        "ICC_SPARQL_ENDPOINT": "http://127.0.0.1:7878/query", "ICC_QUERY_TIMEOUT": "2.5",
        "ICC_MAX_ROWS": "7", "ICC_QUERY_WORKERS": "3", "ICC_CACHE_SIZE": "0",
        "ICC_SERVICE_ALLOW": " https://query.wikidata.org/sparql  https://example.org/sparql ",
        "ICC_WORKER_MEMORY_MIB": "512", "ICC_MAX_BODY_BYTES": "65536",
        "ICC_CLIENT_CONCURRENCY": "2", "ICC_TRUSTED_PROXIES": "127.0.0.1 10.0.0.0/8",
        "ICC_CACHE_BYTES": "1000", "ICC_QUERY_STORE": "Memory",
    }
    assert set(env) == {s.env for s in REGISTRY}
    s = Settings.from_env(env)
    assert s == Settings(
        release=Path("/srv/icc/dist"), base_iri="https://example.org/icc/",
        sparql_endpoint="http://127.0.0.1:7878/query", query_timeout=2.5, max_rows=7,
        query_workers=3, cache_size=0,
        service_allow=("https://query.wikidata.org/sparql", "https://example.org/sparql"),
        worker_memory_mib=512, max_body_bytes=65536, client_concurrency=2,
        trusted_proxies=("127.0.0.1", "10.0.0.0/8"), cache_bytes=1000, query_store="memory")
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(("env", "words"), [
    ("ICC_QUERY_TIMEOUT=ten", "number of seconds"),
    ("ICC_QUERY_TIMEOUT=0", "more than 0"),
    ("ICC_MAX_ROWS=-1", "more than 0"),
    ("ICC_QUERY_WORKERS=two", "whole number"),
    ("ICC_CACHE_SIZE=-5", "0 or more"),
    ("ICC_SERVICE_ALLOW=query.wikidata.org/sparql", "absolute IRI"),
    ("ICC_SERVICE_ALLOW=https://a/<b>", "cannot contain"),
    ("ICC_WORKER_MEMORY_MIB=1", "at least 64"),
    ("ICC_MAX_BODY_BYTES=1MB", "whole number of bytes"),
    ("ICC_CLIENT_CONCURRENCY=0", "more than 0"),
    ("ICC_TRUSTED_PROXIES=proxy.local", "not an IP address"),
    ("ICC_CACHE_BYTES=lots", "whole number of bytes"),
    ("ICC_QUERY_STORE=ram", "must be one of auto, disk, memory"),
    ("ICC_BASE_IRI=https://example.org/no-slash", "ending with '/'"),
    ("ICC_SPARQL_ENDPOINT=ftp://x/", "http(s) URL"),
])
def test_a_bad_value_is_one_error_naming_the_variable(env, words):
    name, _, value = env.partition("=")
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    assert name in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ValueError) and not isinstance(info.value, SystemExit)


def test_serve_with_a_bad_setting_prints_one_line_and_exits_2(tmp_path):
    env = {"ICC_QUERY_TIMEOUT": "soon", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "icc_graph", "serve", "--release",
                           str(tmp_path)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "ICC_QUERY_TIMEOUT" in done.stderr
    assert "Traceback" not in done.stderr
