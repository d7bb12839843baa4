"""Run README's first command word for word, as a new user would, and check what it serves.

From a clean clone of this repository in a temporary folder, the first ```bash block of README.md
runs in bash (only the port of `icc-graph serve` is changed, to a free one). Then every file
listed in /dumps/SHA256SUMS, and SHA256SUMS itself, is downloaded and checked against its
checksum, and every page the home page links to is fetched. Then the server is stopped with
Ctrl-C (SIGINT to its process group, as a terminal sends it), and its output must hold no
traceback. Exit status 0 when all is well, 1 with the list of what failed.

    python .ci/readme_check.py [--keep]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 900  # the install step downloads and builds: give it time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    if block is None:
        raise SystemExit("README.md has no ```bash block")
    return block.group(1).strip()


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag in ("a", "link") and href:
            self.hrefs.append(href)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5):
                return True
        except (OSError, urllib.error.URLError):
            time.sleep(1)
    return False


def check(base: str) -> list[str]:
    problems = []
    status, sums = get(f"{base}/dumps/SHA256SUMS")
    if status != 200:
        return [f"/dumps/SHA256SUMS: {status}"]
    listed = dict(reversed(line.split("  ", 1)) for line in sums.decode().splitlines())
    listed_sums = hashlib.sha256(sums).hexdigest()
    status, listing = get(f"{base}/dumps/")
    for name, sha in sorted(listed.items()):
        status, body = get(f"{base}/dumps/{name}")
        if status != 200 or hashlib.sha256(body).hexdigest() != sha:
            problems.append(f"/dumps/{name}: status {status}, checksum "
                            f"{'ok' if hashlib.sha256(body).hexdigest() == sha else 'wrong'}")
    print(f"  {len(listed)} files of SHA256SUMS downloaded ({listed_sums[:12]}...)")
    status, home = get(f"{base}/")
    if status != 200:
        return [*problems, f"/: {status}"]
    parser = Links()
    parser.feed(home.decode("utf-8", errors="replace"))
    local = sorted({h for h in parser.hrefs if h.startswith("/") and not h.startswith("//")})
    for href in local:
        status, _ = get(f"{base}{href}")
        if status != 200:
            problems.append(f"{href} (linked from the home page): {status}")
    print(f"  {len(local)} pages linked from the home page fetched")
    return problems


def main() -> int:
    keep = "--keep" in sys.argv
    port = free_port()
    command = first_command()
    if "icc-graph serve" not in command:
        print("README's first command does not end with `icc-graph serve`", file=sys.stderr)
        return 1
    command = command.replace("icc-graph serve", f"icc-graph serve --port {port}", 1)
    work = Path(tempfile.mkdtemp(prefix="icc-readme-"))
    clone = work / "icc-graph"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    log = work / "output.log"
    print(f"in {clone}:\n  {command}")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith("ICC_")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if ".venv" not in p)
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", command], cwd=clone, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    try:
        if not wait_for(f"{base}/sparql?query=ASK%7B%7D", process, START_SECONDS):
            problems.append("the server did not come up")
        else:
            problems += check(base)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                problems.append("Ctrl-C did not stop the server within 30 s")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    output = log.read_text(errors="replace")
    if "Traceback" in output:
        problems.append("a traceback was printed:\n" + output[output.index("Traceback"):][:3000])
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    if problems:
        print(output[-3000:], file=sys.stderr)
        return 1
    print("README's first command works word for word")
    return 0


if __name__ == "__main__":
    sys.exit(main())
