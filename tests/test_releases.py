"""Versioned releases: each build adds versions/<version>/ and switches `current` atomically; a
served release never changes under a client; broken releases, full disks, unwritable folders
and SIGTERM are each one clear line with their own exit code."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
from icc_graph.paths import ROOT
from icc_graph.release import (
    CACHE_DIR,
    CURRENT,
    KEEP,
    VERSIONS,
    ReleaseError,
    check_store_version,
    open_release,
    read_sums,
    store_version_query,
)
from server import create_app
from server.settings import Settings

SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
TITLE = "Collaboration with Neuchâtel. Study visits and exchange of knowledge"
BIN = Path(sys.executable).parent


def retitle(data: Path, title: str) -> None:
    path = data / "practices" / f"{SEED}.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("  en: "))
    path.write_text(text.replace(old, f"  en: {title}", 1), encoding="utf-8")


def versions(out: Path) -> list[str]:
    return sorted(p.name for p in (out / VERSIONS).iterdir())


def test_each_build_adds_a_version_and_points_current_at_it(small_data, tmp_path):
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    assert first.path == out / VERSIONS / first.version
    assert os.readlink(out / CURRENT) == f"{VERSIONS}/{first.version}"  # relative: movable
    retitle(small_data, "A second title")
    second = build(small_data, out, BASE)
    assert second.version != first.version
    assert versions(out) == sorted([first.version, second.version])
    assert open_release(out) == second.path
    assert open_release(first.path) == first.path  # a version folder is a release too
    meta = json.loads((second.path / "release.json").read_text(encoding="utf-8"))
    assert meta["version"] == second.version
    # no leftovers; the validation verdicts a rebuild reuses
    assert sorted(p.name for p in out.iterdir()) == [CACHE_DIR, CURRENT, VERSIONS]


def test_the_last_three_versions_are_kept(small_data, tmp_path):
    out = tmp_path / "dist"
    built = []
    for n in range(KEEP + 2):
        retitle(small_data, f"Title number {n}")
        built.append(build(small_data, out, BASE).version)
    assert len(set(built)) == KEEP + 2
    assert versions(out) == sorted(built[-KEEP:])
    assert open_release(out).name == built[-1]


def test_the_same_content_is_one_version(small_data, tmp_path):
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    inode = first.path.stat().st_ino
    again = build(small_data, out, BASE)
    assert again.version == first.version and versions(out) == [first.version]
    assert again.path.stat().st_ino == inode  # the folder being served is left alone


def test_moving_the_out_folder_keeps_it_readable(small_data, tmp_path):
    out = tmp_path / "dist"
    release = build(small_data, out, BASE)
    moved = tmp_path / "elsewhere" / "dist"
    moved.parent.mkdir()
    out.rename(moved)
    assert open_release(moved) == moved / VERSIONS / release.version


def test_the_release_does_not_depend_on_where_the_data_lives(small_data, tmp_path):
    """The same records in another folder, built from another working directory, give the same
    bytes; no path of the machine appears in the dumps."""
    other = tmp_path / "somewhere" / "else" / "records"
    shutil.copytree(small_data, other)
    one = build(small_data, tmp_path / "one", BASE)
    cwd = os.getcwd()
    os.chdir(tmp_path / "somewhere")
    try:
        two = build(Path("else/records"), tmp_path / "two", BASE)
    finally:
        os.chdir(cwd)
    assert read_sums(one.path) == read_sums(two.path)
    assert one.version == two.version
    text = gzip.decompress((two.path / "icc-graph.nq.gz").read_bytes()).decode("utf-8")
    for needle in (str(tmp_path), "somewhere", "else/records", cwd):
        assert needle not in text, needle
    assert f'"data/practices/{SEED}.yaml"' in text


# ------------------------------------------------------------------ broken releases


def test_no_release_and_an_empty_folder_say_which_command_to_run(tmp_path):
    with pytest.raises(ReleaseError, match=r"there is no release at .*icc-graph build --out"):
        open_release(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReleaseError, match=r"holds no release.*icc-graph build --out"):
        open_release(tmp_path / "empty")


@pytest.mark.parametrize(("damage", "named"), [
    ("release.json", "release.json"), ("SHA256SUMS", "SHA256SUMS"), ("store", "store"),
    ("icc-graph.trig", "icc-graph.trig"), ("void.ttl", "void.ttl"),
])
def test_a_half_written_release_names_what_is_missing(small_data, tmp_path, damage, named):
    out = tmp_path / "dist"
    release = build(small_data, out, BASE)
    target = release.path / damage
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(ReleaseError) as info:
        open_release(out)
    message = str(info.value)
    assert f"{named} missing" in message and f"icc-graph build --out {out}" in message


def test_a_broken_current_link_and_a_garbled_release_json(small_data, tmp_path):
    out = tmp_path / "dist"
    release = build(small_data, out, BASE)
    (release.path / "release.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReleaseError, match="is broken"):
        open_release(out)
    shutil.rmtree(release.path)
    with pytest.raises(ReleaseError, match="does not exist"):
        open_release(out)


@pytest.mark.parametrize("command", [["query", "ASK {}"], ["serve"],
                                     ["publish", "--endpoint", "http://127.0.0.1:9/store"]])
def test_commands_on_a_half_written_release_print_one_line_and_exit_2(small_data, tmp_path,
                                                                       command):
    out = tmp_path / "dist"
    release = build(small_data, out, BASE)
    (release.path / "ontology.ttl").unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICC_")}
    done = subprocess.run([str(BIN / "icc-graph"), *command, "--release", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "ontology.ttl missing" in done.stderr
    assert "Traceback" not in done.stderr


def test_query_reads_the_current_version(small_data, tmp_path):
    out = tmp_path / "dist"
    build(small_data, out, BASE)
    retitle(small_data, "The newest title")
    build(small_data, out, BASE)
    done = subprocess.run([str(BIN / "icc-graph"), "query", "--release", str(out),
                           "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> SELECT ?t "
                           "{ ?p icc:title ?t FILTER(lang(?t) = 'en') }"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["The newest title"]


# ------------------------------------------------------------------ a rebuild while serving


def _app(folder: Path):
    from server import create_app
    from server.settings import Settings

    return create_app(Settings(release=folder, query_timeout=10))


def _snapshot(client) -> dict[str, object]:
    """What a client sees: the listing's version and checksums, a dump's bytes against them,
    the practice's title on its page and through SPARQL."""
    listing = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    sums = {f["name"]: f["sha256"] for f in listing["files"]}
    dump = client.get("/dumps/icc-graph.ttl")
    page = client.get(f"/doc/practice/{SEED}", headers={"Accept": "text/html"})
    title = BeautifulSoup(page.data, "html.parser").find("h1").get_text(strip=True)
    answer = client.get("/sparql", query_string={
        "query": "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> SELECT ?t WHERE "
                 "{ ?p icc:title ?t FILTER(lang(?t) = 'en') }"},
        headers={"Accept": "application/sparql-results+json"}).get_json()
    return {
        "version": listing["version"],
        "dump matches its checksum": hashlib.sha256(dump.data).hexdigest() == sums[
            "icc-graph.ttl"] == dump.headers["ETag"].strip('"'),
        "title": title,
        "sparql title": answer["results"]["bindings"][0]["t"]["value"],
    }


def test_a_rebuild_while_serving_changes_nothing_for_the_running_app(small_data, tmp_path):
    out = tmp_path / "dist"
    build(small_data, out, BASE)
    running = _app(open_release(out))
    client = running.test_client()
    try:
        before = _snapshot(client)
        assert before["dump matches its checksum"] and before["title"] == TITLE
        assert before["sparql title"] == TITLE
        retitle(small_data, "Rebuilt while served")
        done = threading.Event()
        errors: list[BaseException] = []

        def rebuild() -> None:
            try:
                build(small_data, out, BASE)
            except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
                errors.append(exc)
            finally:
                done.set()

        threading.Thread(target=rebuild).start()
        seen = []
        while not done.is_set() or not seen:
            seen.append(_snapshot(client))
        assert not errors
        assert all(s == before for s in seen), "the running app mixed two releases"
        assert _snapshot(client) == before
        fresh = _app(open_release(out))
        try:
            after = _snapshot(fresh.test_client())
        finally:
            fresh.extensions["icc"].backend.close()
        assert after["version"] != before["version"]
        assert after["title"] == after["sparql title"] == "Rebuilt while served"
        assert after["dump matches its checksum"]
    finally:
        running.extensions["icc"].backend.close()


def test_an_app_given_the_out_folder_serves_its_current_version(small_data, tmp_path):
    out = tmp_path / "dist"
    build(small_data, out, BASE)
    app = _app(out)
    try:
        assert _snapshot(app.test_client())["title"] == TITLE
    finally:
        app.extensions["icc"].backend.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _version(url: str) -> str:
    request = urllib.request.Request(f"{url}/dumps/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["version"])


def test_gunicorn_moves_to_the_new_version_on_sighup_only(small_data, tmp_path):
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    port = _free_port()
    env = {**os.environ, "ICC_RELEASE": str(out)}
    process = subprocess.Popen([str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                                "server:create_app()"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _version(url) == first.version
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        retitle(small_data, "After the reload")
        second = build(small_data, out, BASE)
        assert _version(url) == first.version  # a build alone changes nothing served
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while _version(url) != second.version:
            assert time.monotonic() < deadline, "gunicorn did not move to the new version"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)


def test_the_store_of_the_remote_backend_must_hold_the_folder_version(fixture_release, engines,
                                                                      small_data, tmp_path):
    release = fixture_release
    endpoint = str(engines.endpoint("oxigraph"))
    oxigraph_server = endpoint.removesuffix("/query")
    query = urllib.parse.urlencode({"query": store_version_query(BASE)})
    request = urllib.request.Request(f"{oxigraph_server}/query?{query}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        held = [b["version"]["value"] for b in json.load(response)["results"]["bindings"]]
    assert held == [release.version]
    check_store_version(release.path, held, oxigraph_server)
    other = build(small_data, tmp_path / "other", BASE)
    with pytest.raises(ReleaseError) as info:
        check_store_version(other.path, held, oxigraph_server)
    assert release.version in str(info.value) and "icc-graph publish" in str(info.value)
    with pytest.raises(ReleaseError, match="holds no release"):
        check_store_version(release.path, [], oxigraph_server)
    with pytest.raises(ReleaseError, match="icc-graph publish"):
        create_app(Settings(release=other.path, sparql_endpoint=endpoint))


# ------------------------------------------------------------------ operational errors


def _build(data: Path, out: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "icc-graph"), "build", "--data", str(data), "--out",
                           str(out)], capture_output=True, text=True, timeout=300,
                          **kwargs)  # type: ignore[call-overload]


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))


def test_a_file_that_cannot_grow_is_exit_3_with_one_line(small_data, tmp_path):
    out = tmp_path / "dist"
    done = _build(small_data, out, preexec_fn=_limit_file_size)
    assert done.returncode == 3, done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "cannot write the release" in error[0]
    assert "Traceback" not in done.stderr
    assert not list((out / VERSIONS).iterdir()) and not (out / CURRENT).exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                    reason="a small tmpfs (a really full disk) can be mounted only by root")
def test_a_full_disk_is_exit_3_and_the_release_is_unchanged(small_data, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("this container may not mount a tmpfs")
    try:
        done = _build(small_data, disk / "dist")
        assert done.returncode == 3, done.stderr
        assert "the disk is full" in done.stderr and done.stderr.count("error:") == 1
        assert not list((disk / "dist" / VERSIONS).iterdir())
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_an_unwritable_folder_is_exit_3(small_data, tmp_path):
    if os.geteuid() == 0:  # root writes anywhere a mode allows nothing: use a kernel folder
        out = Path("/sys/icc-graph-test-dist")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "dist"
    done = _build(small_data, out)
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("error:") == 1 and "cannot write the release" in done.stderr
    assert "not permitted" in done.stderr or "permission denied" in done.stderr


def test_sigterm_during_a_build_removes_its_temporary_folder(small_data, tmp_path):
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    retitle(small_data, "Never published")
    process = subprocess.Popen([str(BIN / "icc-graph"), "build", "--data", str(small_data),
                                "--out", str(out)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((out / VERSIONS).glob(".building-*")):
        assert process.poll() is None, "the build ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert versions(out) == [first.version]
    assert open_release(out) == first.path
