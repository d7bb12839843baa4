"""The real SPARQL engines the contract tests run on, started the way their users start them,
on 127.0.0.1 and free ports: Oxigraph server (PyPI ``oxigraph``) loaded by ``icc-graph
publish``, and Virtuoso (Debian ``virtuoso-opensource``) with its own configuration file, loaded
by ``icc-graph publish`` through its authenticated Graph Store endpoint."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_DB = "/var/lib/virtuoso-opensource-7/db"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60, process: subprocess.Popen[bytes] | None = None
             ) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {process.returncode}) before "
                                   f"answering {url}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


def publish(release: Path, store_url: str, user: str | None = None,
            password: str | None = None) -> None:
    command = [str(BIN / "icc-graph"), "publish", "--endpoint", store_url,
               "--release", str(release)]
    env = dict(os.environ)
    if user:
        command += ["--user", user]
        env["ICC_STORE_PASSWORD"] = password or ""
    subprocess.run(command, check=True, capture_output=True, env=env)


@contextlib.contextmanager
def oxigraph_server(release: Path, folder: Path) -> Iterator[str]:
    """A real ``oxigraph serve`` holding the release; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve", "--location", str(folder / "oxigraph"),
         "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/query?query=ASK%7B%7D", process=process)
        publish(release, f"{url}/store")
        yield url
    finally:
        stop(process)


def virtuoso_available() -> bool:
    return shutil.which("virtuoso-t") is not None and VIRTUOSO_INI.exists()


@contextlib.contextmanager
def virtuoso(release: Path, folder: Path) -> Iterator[str]:
    """A real Virtuoso with a configuration file of its own (its database in ``folder``,
    loopback ports); yields the base URL of its HTTP server (SPARQL at /sparql)."""
    db = folder / "virtuoso"
    db.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text(encoding="utf-8").replace(VIRTUOSO_DB, str(db))
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*1111", f"ServerPort = 127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*8890", f"ServerPort = 127.0.0.1:{http_port}", ini)
    ini = re.sub(r"(?m)^DirsAllowed\s*=.*$", f"DirsAllowed = ., {db}", ini)
    config = db / "virtuoso.ini"
    config.write_text(ini, encoding="utf-8")
    process = subprocess.Popen(["virtuoso-t", "+configfile", str(config), "+foreground"],
                               cwd=db, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(f"{url}/sparql?query=ASK%7B%7D", seconds=120, process=process)
        publish(release, f"{url}/sparql-graph-crud-auth", user="dba", password="dba")
        yield url
    finally:
        stop(process)
