"""End to end in a real headless Chromium (Debian's chromium and chromedriver) against the
server started as in production: home, filter by topic and country, a practice, its city, an
example query. Screenshots of each step go to test-output/."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from icc_graph.paths import ROOT

OUT = ROOT / "test-output"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run",
                 "--disable-sync", "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver: webdriver.Chrome, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(OUT / f"{name}.png"))


def test_a_person_browses_and_queries(browser, gunicorn_server):
    b = browser
    b.get(gunicorn_server + "/")
    assert "Intercultural Cities good practices" in b.find_element(By.TAG_NAME, "h1").text
    shot(b, "1-home")

    b.find_element(By.LINK_TEXT, "Browse the practices").click()
    b.find_element(By.CSS_SELECTOR,
                   'section[data-facet="topic"] a[data-value="anti-rumour"]').click()
    country = b.find_element(By.CSS_SELECTOR, 'section[data-facet="country"] a[data-value="pt"]')
    expected = int(country.find_element(By.XPATH, "following-sibling::span").text)
    country.click()
    assert "topic=anti-rumour" in b.current_url and "country=pt" in b.current_url
    practices = b.find_elements(By.CSS_SELECTOR, "#practices a.practice")
    assert len(practices) == expected > 0
    shot(b, "2-filtered")

    target = next(a for a in practices if "Rumour" in a.text)  # in Amadora
    target.click()
    assert "/doc/practice/" in b.current_url
    shot(b, "3-practice")

    b.find_element(By.CSS_SELECTOR, '#properties a[href="/id/city/amadora"]').click()
    assert b.current_url.endswith("/doc/city/amadora")
    assert b.find_element(By.TAG_NAME, "h1").text == "Amadora"
    shot(b, "4-city")

    b.get(gunicorn_server + "/sparql")
    b.find_element(By.PARTIAL_LINK_TEXT, "All partners of ITACA").click()
    cells = [td.text for td in b.find_elements(By.CSS_SELECTOR, "#results tbody td")]
    assert any(c.startswith("ISMU Foundation") for c in cells)
    assert any(c.startswith("coordinator") for c in cells)
    shot(b, "5-query")
    assert Path(OUT / "5-query.png").stat().st_size > 1000


# ------------------------------------------------- every view, accessibility, screenshots

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from server import result_views  # noqa: E402

from .conftest import BIN, free_port, wait_for  # noqa: E402

# axe-core from npm: README's test command runs `npm install --prefix .cache/npm axe-core`
AXE = Path(os.environ.get("ICC_AXE_JS", ROOT / ".cache/npm/node_modules/axe-core/axe.min.js"))
VIEWS_OUT = OUT / "views"
QUERIES = sorted((ROOT / "data" / "queries").glob("*.rq"))


@pytest.fixture(scope="module")
def geo_server(release):
    """The production form on the release of the real data, whose places carry coordinates."""
    copy = release.path
    port = free_port()
    env = {**os.environ, "ICC_RELEASE": str(copy), "ICC_QUERY_TIMEOUT": "5"}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "server:create_app()"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/sparql?query=ASK%7B%7D")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _pages() -> list[tuple[str, str]]:
    pages = [("home", "/"), ("practices", "/practices"),
             ("practices-filtered", "/practices?topic=anti-rumour&country=pt"),
             ("practice", "/doc/practice/collaboration-with-neuchatel-study-visits-and-exchange-"
                          "of-knowledge"),
             ("city", "/doc/city/lublin"), ("country", "/doc/country/pt"),
             ("collaborations", "/collaborations"),
             ("collaborations-map", "/collaborations?layout=map"), ("vocabulary", "/def/icc"),
             ("query", "/sparql")]
    for path in QUERIES:
        text = path.read_text(encoding="utf-8")
        view = result_views.chosen_view(text, None)
        if view != "Table" and "SERVICE" not in text:
            pages.append((f"query-{view.lower()}", "/sparql?" + urlencode({"query": text})))
    return pages


def _scheme(driver: webdriver.Chrome, scheme: str) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})


def _full_shot(driver: webdriver.Chrome, path: Path, width: int) -> None:
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height), 5000))
    assert driver.save_screenshot(str(path))


def test_every_view_has_no_serious_accessibility_violation(browser, geo_server):
    assert AXE.is_file(), (f"axe-core is missing at {AXE}: run `npm install --prefix .cache/npm "
                           "axe-core` (or set ICC_AXE_JS to its axe.min.js)")
    axe = AXE.read_text(encoding="utf-8")
    VIEWS_OUT.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    for name, path in _pages():
        for scheme in ("light", "dark"):
            _scheme(browser, scheme)
            browser.set_window_size(1280, 900)
            browser.get(geo_server + path)
            browser.execute_script(axe)
            result = browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
                ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e),"
                " nodes: []}]));")
            bad = [f"{v['id']} ({v['impact']}): {v['help']} at "
                   f"{[n['target'] for n in v['nodes']][:3]}"
                   for v in result if v["impact"] in ("serious", "critical")]
            if bad:
                found[f"{name} {scheme}"] = bad
            for width in (1280, 390):
                _full_shot(browser, VIEWS_OUT / f"{name}-{width}-{scheme}.png", width)
    _scheme(browser, "light")
    browser.set_window_size(1280, 1600)
    assert not found, found


def test_maps_and_views_in_a_real_browser(browser, geo_server, dump):
    b = geo_server
    browser.get(b + "/")
    lat = URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat")
    located = {str(s).rsplit("/id/", 1)[1] for s in dump.subjects(lat, None)}
    drawn = {a.get_dom_attribute("href").rsplit("/id/", 1)[1] for a in browser.find_elements(
        By.CSS_SELECTOR, "svg.map g.cities a")}
    cities = {a.get_dom_attribute("href").rsplit("/id/", 1)[1] for a in browser.find_elements(
        By.CSS_SELECTOR, "table.places a")}
    assert drawn == cities and drawn <= located and len(drawn) > 50
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-year a")
    assert bars and all(bar.is_displayed() for bar in bars[-5:])
    browser.get(b + "/doc/city/lublin")
    assert browser.find_element(By.CSS_SELECTOR, "#locator-map svg circle").is_displayed()
    browser.get(b + "/collaborations")
    shared = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#edges td:nth-child(3) a")]
    assert "Collaboration with Neuchâtel. Study visits and exchange of knowledge" in shared
    for path in QUERIES:
        text = path.read_text(encoding="utf-8")
        view = result_views.chosen_view(text, None)
        if view == "Table" or "SERVICE" in text:
            continue
        browser.get(b + "/sparql?" + urlencode({"query": text}))
        section = browser.find_element(By.ID, "view")
        assert section.get_attribute("data-view") == view
        assert section.find_element(By.TAG_NAME, "svg").is_displayed(), path.name
