"""The documentation's contracts: citations stay inside the repository and resolve.

Every reference a reader meets in the code, the data files and the docs must be one a clone of
this repository can follow: a section of docs/model.md that exists, or a source listed in
docs/bibliography.md. Paths outside the repository and internal file names are not.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from scenarios.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "docs" / "model.md"
BIBLIOGRAPHY = ROOT / "docs" / "bibliography.md"
TEXT_SUFFIXES = {".py", ".toml", ".md", ".ipynb", ".cff", ".txt", ".cfg"}
SKIPPED_DIRS = {".venv", ".git", "results", "build", "dist", "node_modules", "__pycache__"}

# What a clone cannot look up: the background specification and the seed texts it came from.
OUTSIDE = re.compile(r"\.\./shared|DESIGN\.md|\bseeds? 00[0-9]")
# "docs/model.md, section 7.8", "docs/model.md sections 7.3-7.6", "docs/model.md, 7.9 flows"
SECTION_CITATION = re.compile(r"docs/model\.md,? (?:sections? )?([0-9]+(?:\.[0-9]+)?)\b")
# "Chertow 2007", "Jensen et al. 2011", "World Bank 2021", "Fraccascia & Yazan 2018"
AUTHOR_YEAR = re.compile(
    r"\b([A-Z][A-Za-z\u00c0-\u017f-]+)(?: et al\.)?,? \(?((?:19|20)[0-9]{2})\b"
)


def _repository_texts() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED_DIRS or path.name.endswith(".egg-info") or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES and path != Path(__file__).resolve():
            files.append(path)
    return files


def _model_sections() -> set[str]:
    """Section numbers of docs/model.md ("1", "7", "7.8"), from its headings."""
    headings = re.findall(r"^#{2,3} ([0-9]+(?:\.[0-9]+)?)\.? ", MODEL.read_text(), re.MULTILINE)
    return set(headings)


def _bibliography() -> str:
    return " ".join(BIBLIOGRAPHY.read_text().split())


def test_nothing_cites_a_path_outside_the_repository():
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _repository_texts()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not offending, "outside citations:\n" + "\n".join(offending)


def test_cited_sections_of_the_model_description_exist():
    sections = _model_sections()
    assert {"1", "2", "3", "4", "5", "6", "7", "8", "7.7", "7.10"} <= sections
    missing = [
        f"{path.relative_to(ROOT)}: docs/model.md section {number}"
        for path in _repository_texts()
        for number in SECTION_CITATION.findall(path.read_text(errors="replace"))
        if number not in sections
    ]
    assert not missing, "cited sections that docs/model.md does not have:\n" + "\n".join(missing)


def _data_sources() -> list[tuple[str, str]]:
    """(where, source text) of every parameter, scenario and park that declares a source."""
    sources = [
        (f"parameter {p.name}", p.source)
        for p in PARAMETERS.values()
        if p.source not in ("placeholder", "-")
    ]
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        table = tomllib.loads(path.read_text())
        if isinstance(table.get("source"), str):
            sources.append((str(path.relative_to(ROOT)), table["source"]))
    return sources


@pytest.mark.parametrize(("where", "source"), _data_sources(), ids=lambda value: str(value)[:40])
def test_every_author_year_a_source_cites_is_in_the_bibliography(where, source):
    bibliography = _bibliography()
    cited = AUTHOR_YEAR.findall(source)
    unlisted = [
        f"{name} {year}"
        for name, year in cited
        if name not in bibliography or year not in bibliography
    ]
    assert not unlisted, f"{where} cites {unlisted}, which docs/bibliography.md does not list"


def test_the_data_files_cite_at_least_the_core_literature():
    # A guard on the test above: it must see the sources the declaration is known to cite.
    cited = {name for _, source in _data_sources() for name, _ in AUTHOR_YEAR.findall(source)}
    assert {"Ahabchane", "Yazan", "Bank", "Giannoccaro", "Chertow", "Jacobsen"} <= cited
