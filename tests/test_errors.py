"""Bad input gets a clear error naming file, line and field, and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from icc_graph.build import build
from icc_graph.cli import main
from icc_graph.errors import DataError
from icc_graph.loader import read_records
from icc_graph.release import open_release, read_sums

from .conftest import BASE

SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"


def practice(data: Path, slug: str, text: str) -> Path:
    path = data / "practices" / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """slug: {slug}
status: imported
title:
  en: A small practice
places: [lublin]
topics: [education]
period:
  text: 2019 - ongoing
source: https://www.coe.int/en/web/interculturalcities/-/{slug}
"""


def problems(data: Path) -> list[str]:
    with pytest.raises(DataError) as exc:
        read_records(data)
    return [str(p) for p in exc.value.problems]


def test_small_data_is_valid(small_data):
    practice(small_data, "small", GOOD.format(slug="small"))
    records = read_records(small_data)
    p = records.practices["small"]
    assert (p.period.start, p.period.end, p.period.ongoing) == (2019, None, True)
    assert p.period.text == "2019 - ongoing"


def test_unknown_topic_names_file_line_field_and_choices(small_data):
    text = GOOD.format(slug="small").replace("education", "educaton")
    practice(small_data, "small", text)
    line = next(n for n, ln in enumerate(text.splitlines(), start=1) if "educaton" in ln)
    [msg] = problems(small_data)
    assert f"practices/small.yaml:{line}:" in msg and line > 1, "at its own line, not line 1"
    assert "field 'topics'" in msg and "unknown topic 'educaton'" in msg
    assert "did you mean education" in msg


def test_unknown_country_and_place(small_data):
    text = GOOD.format(slug="small").replace("places: [lublin]", "places: [lubln]\ncountries: [zz]")
    practice(small_data, "small", text)
    found = problems(small_data)
    assert any("unknown place 'lubln'" in m and "did you mean lublin" in m for m in found)
    assert any("unknown country 'zz'" in m for m in found)


def test_inverted_period(small_data):
    practice(small_data, "small", GOOD.format(slug="small").replace("2019 - ongoing", "2019-2015"))
    [msg] = problems(small_data)
    assert "field 'end'" in msg and "starts in 2019 but ends in 2015" in msg


def test_malformed_yaml_gives_the_line(small_data):
    practice(small_data, "small", "slug: small\ntitle: {en: [unclosed\nstatus: imported\n")
    [msg] = problems(small_data)
    assert "practices/small.yaml:" in msg and "malformed YAML" in msg


def test_non_utf8_file(small_data):
    path = small_data / "practices" / "small.yaml"
    path.write_bytes(GOOD.format(slug="small").replace("A small", "Caf\xe9").encode("latin-1"))
    [msg] = problems(small_data)
    assert "not UTF-8" in msg and "small.yaml:4" in msg


def test_duplicate_slug_in_a_shared_file(small_data):
    places = small_data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8") + (
        "- slug: lublin\n  type: city\n  label: {en: Lublin again}\n  country: pl\n"
        "  status: imported\n"), encoding="utf-8")
    found = problems(small_data)
    assert any("'lublin' is already used at line" in m and "places.yaml" in m for m in found)


def test_duplicate_yaml_key(small_data):
    practice(small_data, "small", GOOD.format(slug="small") + "status: reviewed\n")
    [msg] = problems(small_data)
    assert "duplicate key 'status'" in msg


def test_slug_must_match_file_name(small_data):
    practice(small_data, "small", GOOD.format(slug="other"))
    [msg] = problems(small_data)
    assert "differs from the file name" in msg


def test_bad_role(small_data):
    text = GOOD.format(slug="small") + "participants:\n  - {org: cosm, role: boss}\n"
    practice(small_data, "small", text)
    [msg] = problems(small_data)
    assert "'boss' is not allowed" in msg and "lead-city" in msg


def test_failed_build_leaves_the_release_untouched(small_data, tmp_path):
    out = tmp_path / "dist"
    build(small_data, out, BASE)
    before = read_sums(open_release(out))
    practice(small_data, "small", GOOD.format(slug="small").replace("education", "nope"))
    result = CliRunner().invoke(main, ["build", "--data", str(small_data), "--out", str(out)])
    assert result.exit_code == 1
    assert "small.yaml" in result.output and "topics" in result.output
    assert read_sums(open_release(out)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "dist"]


def test_build_refuses_a_folder_that_is_not_a_release(small_data, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["build", "--data", str(small_data), "--out", str(out)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_build_into_an_existing_empty_folder(small_data, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = CliRunner().invoke(main, ["build", "--data", str(small_data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "current" / "SHA256SUMS").exists()


def test_missing_data_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["build", "--data", str(tmp_path / "nope"),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_link_to_a_thing_not_in_the_data(small_data, tmp_path):
    links = small_data / "links"
    links.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "bad-links.sssom.tsv",
                links / "wikidata.sssom.tsv")
    with pytest.raises(DataError) as exc:
        build(small_data, tmp_path / "out", BASE)
    text = str(exc.value)
    assert "wikidata.sssom.tsv" in text and "not in the data" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("replace", "line", "field", "close"), [
    (("topics:", "topcs:"), 6, "topcs", "topics"),
    (("period:\n  text:", "period:\n  txt:"), 8, "txt", "text"),
    (("places: [lublin]", "places: [lublin]\ncolour: red"), 6, "colour", None),
])
def test_an_unknown_field_fails_the_build_naming_file_line_and_field(
        small_data, tmp_path, replace, line, field, close):
    practice(small_data, "small", GOOD.format(slug="small").replace(*replace))
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--data", str(small_data), "--out", str(out)])
    assert result.exit_code == 1
    assert f"practices/small.yaml:{line}: field '{field}': unknown field '{field}'" \
        in result.output
    if close:
        assert f"did you mean '{close}'?" in result.output
    assert "nothing was written" in result.output and not out.exists()


def test_an_unknown_field_in_a_shared_file_or_a_participant_is_reported(small_data):
    places = small_data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8").replace(
        "- slug: lublin\n", "- slug: lublin\n  population: 340000\n", 1), encoding="utf-8")
    practice(small_data, "small", GOOD.format(slug="small") + "participants:\n"
             "- org: city-of-lublin\n  role: partner\n  rol: partner\n")
    messages = problems(small_data)
    assert any("places.yaml" in m and "unknown field 'population'" in m for m in messages)
    assert any("practices/small.yaml" in m and "unknown field 'rol'" in m
               and "did you mean 'role'" in m for m in messages)


def test_an_unknown_slug_is_reported_at_its_own_line(small_data):
    from icc_graph.errors import DataError
    from icc_graph.loader import read_records

    path = next((small_data / "practices").glob("*.yaml"))
    text = path.read_text(encoding="utf-8").replace("- international-outlook", "- internationl")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("- internationl") + 1
    with pytest.raises(DataError) as info:
        read_records(small_data)
    problem = next(p for p in info.value.problems if "internationl" in p.message)
    assert (problem.line, problem.field) == (line, "topics")
    assert "international-outlook" in str(problem.hint)
