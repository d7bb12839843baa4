"""End to end in a real headless Chromium (Debian's chromium and chromedriver) against the
server started as in production: home, filter by topic and country, a practice, its city, an
example query. Screenshots of each step go to test-output/."""

from __future__ import annotations

from pathlib import Path

import pytest
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
