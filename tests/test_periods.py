"""The period parser: real texts from the catalogue, and properties that hold for any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icc_graph.periods import parse_period

# (text as seen on the ICC pages, start, end, ongoing)
REAL = [
    ("2016", 2016, 2016, False),
    ("2019 - ongoing", 2019, None, True),
    ("Since 2014", 2014, None, True),
    ("2013-", 2013, None, True),
    ("Depuis 2014", 2014, None, True),
    ("March 2017 – present", 2017, None, True),
    ("From 2021 to 2027", 2021, 2027, False),
    ("2011-14", 2011, 2014, False),
    ("Permanent since 2012", 2012, None, True),
    ("Each year in March", None, None, True),
    ("2018 onwards", 2018, None, True),
    ("2018 on", 2018, None, True),
    ("à partir 2016", 2016, None, True),
    ("as from 2015", 2015, None, True),
    ("2021 (ongoing since 2017)", 2017, None, True),
    ("2019-2023 (ongoing)", 2019, 2023, True),
    ("2015-2020 / 2021-25", 2015, 2025, False),
    ("Social network - ongoing / Assessment - 2017", None, None, True),
    ("Three years - 2017, 2018 and 2019", 2017, 2019, False),
    ("until 2023", None, 2023, False),
    ("21 June 2018", 2018, 2018, False),
    ("mai 2016", 2016, 2016, False),
    ("11 months from February to December 2017", 2017, 2017, False),
    ("6 months (July-December 2017) + 8 months’ employment", 2017, None, False),
    ("Implemented for 3 years, from March 2017 to February 2020", 2017, 2020, False),
    ("permanent", None, None, True),
    ("JAN - DEC", None, None, False),
    ("Running for several decades", None, None, True),
    ("", None, None, False),
]


@pytest.mark.parametrize(("text", "start", "end", "ongoing"), REAL)
def test_real_period_texts(text, start, end, ongoing):
    p = parse_period(text)
    assert (p.start, p.end, p.ongoing) == (start, end, ongoing)
    assert p.text == (text or None)


texts = st.text(alphabet=st.sampled_from(list("0123456789 -–/()onwardsincepmt,ay")), max_size=40)


@settings(deadline=None, max_examples=300)
@given(texts)
def test_never_invents_a_year(text):
    p = parse_period(text)
    digits = re.findall(r"\d+", text)
    for year in (p.start, p.end):
        if year is not None:
            assert any(str(year) == d or str(year).endswith(d) and len(d) == 2 for d in digits)


@settings(deadline=None)
@given(st.integers(1900, 2069), st.integers(0, 30))
def test_a_range_gives_its_two_years(a, length):
    b = a + length
    p = parse_period(f"{a} - {b}")
    assert (p.start, p.end) == (a, b)
    p = parse_period(f"From {a} to {b}")
    assert (p.start, p.end) == (a, b)


@settings(deadline=None)
@given(st.integers(1900, 2090), st.sampled_from(["Since {}", "{} - ongoing", "{} onwards",
                                                  "Depuis {}", "{}-"]))
def test_open_ranges_are_ongoing(year, form):
    p = parse_period(form.format(year))
    assert (p.start, p.end, p.ongoing) == (year, None, True)


@settings(deadline=None)
@given(st.integers(1900, 2069), st.integers(1, 30))
def test_inverted_ranges_are_kept_for_the_loader_to_reject(b, gap):
    p = parse_period(f"{b + gap}-{b}")
    assert (p.start, p.end) == (b + gap, b)
