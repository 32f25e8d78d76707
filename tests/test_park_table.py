"""A researcher's own park: ``park-from-table`` builds a park file, ``--park FILE`` runs it."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from interfaces.cli import main
from scenarios.park_table import facility_size, park_from_table, read_facilities
from scenarios.parks import load_park_spec
from scenarios.resources import sector_catalogue, stream_catalogue

TABLE = """name,sector,x_km,y_km,stream,quantity_per_year
Power plant,energy,0,0,fly_ash,19200
Power plant,energy,0,0,gypsum,7200
Steel works,steel,2,1,slag,240000
Cement works,cement_construction,1,-1.5,,
Plasterboard,plasterboard,-1,0.5,,
"""


@pytest.fixture
def park_file(tmp_path):
    table = tmp_path / "my_facilities.csv"
    table.write_text(TABLE)
    out = tmp_path / "elsewhere" / "mypark.toml"
    out.parent.mkdir()
    assert main(["park-from-table", str(table), "--out", str(out), "--name", "my park"]) == 0
    return out


def test_table_becomes_a_valid_park_with_sizes_from_the_tonnages(park_file):
    spec = load_park_spec(str(park_file))
    firms = {firm["name"]: firm for firm in spec["firms"]}
    assert spec["name"] == "my park" and len(firms) == 4
    sectors, streams = sector_catalogue(), stream_catalogue()
    energy, fly_ash = sectors.index("energy"), streams.index("fly_ash")
    per_month = sectors.produces_per_month[energy, fly_ash]
    expected = 19200 / 12 / per_month  # the gypsum row gives the same ratio only by chance
    gypsum = 7200 / 12 / sectors.produces_per_month[energy, streams.index("gypsum")]
    assert firms["Power plant"]["size"] == pytest.approx((expected + gypsum) / 2, rel=1e-3)
    assert firms["Cement works"]["size"] == 1
    assert (firms["Steel works"]["x_km"], firms["Steel works"]["y_km"]) == (2, 1)


def test_latitude_and_longitude_are_projected_to_km(tmp_path):
    table = tmp_path / "geo.csv"
    table.write_text("name,sector,lat,lon\nA,energy,65.0,25.0\nB,steel,65.009,25.0\n")
    facilities = read_facilities(table)
    assert [f.name for f in facilities] == ["A", "B"]
    text = park_from_table(table)
    spec_path = tmp_path / "geo.toml"
    spec_path.write_text(text)
    spec = load_park_spec(str(spec_path))
    a, b = spec["firms"]
    assert b["y_km"] - a["y_km"] == pytest.approx(1.0, abs=0.01)  # 0.009 degrees is ~1 km
    assert facility_size(facilities[0]) == 1.0


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ("name,sector,x_km,y_km\nA,energi,0,0\nB,steel,1,1\n", "line 2, column sector"),
        ("name,sector,x_km,y_km\nA,energy,0,0\nB,steel,1,north\n", "line 3, column y_km"),
        ("name,sector,x_km\nA,energy,0\n", "line 1: needs position columns"),
        ("name,sektor,x_km,y_km\n", "line 1, column 'sektor': unknown column"),
        (
            "name,sector,x_km,y_km,stream,quantity_per_year\nA,energy,0,0,slag,5\nB,steel,1,1,,\n",
            "line 2, column stream: sector 'energy' neither produces nor needs 'slag'",
        ),
        (
            "name,sector,x_km,y_km,stream,quantity_per_year\nA,energy,0,0,fly_ash,-5\n"
            "B,steel,1,1,,\n",
            "line 2, column quantity_per_year: must be at least 0",
        ),
        (
            "name,sector,x_km,y_km,stream,tonnes_per_year\nA,energy,0,0,steam,5\nB,steel,1,1,,\n",
            "line 2, column tonnes_per_year: stream 'steam' is measured in",
        ),
        (
            "name,sector,x_km,y_km\nA,energy,0,0\nA,steel,0,0\n",
            "line 3, column sector: 'A' has 'steel' here but 'energy' on line 2",
        ),
        ("name,sector,x_km,y_km\nA,energy,0,0\n", "at least two facilities"),
    ],
)
def test_table_mistakes_are_one_line_naming_row_and_column(tmp_path, capsys, table, fragment):
    path = tmp_path / "facilities.csv"
    path.write_text(table)
    assert main(["park-from-table", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert not (tmp_path / "facilities.toml").exists()  # nothing half-written


def test_an_existing_park_file_is_kept_unless_forced(park_file, capsys):
    table = park_file.parent.parent / "my_facilities.csv"
    assert main(["park-from-table", str(table), "--out", str(park_file)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["park-from-table", str(table), "--out", str(park_file), "--force"]) == 0


def test_park_path_is_accepted_by_run_compare_sweep_and_sensitivity(park_file, tmp_path):
    park = str(park_file)
    run = tmp_path / "run"
    assert (
        main(["run", "baseline", "--park", park, "--steps", "6", "--no-figure", "--out", str(run)])
        == 0
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["park"] == "my park"
    common = ["--park", park, "--steps", "6", "--replications", "1", "--workers", "1", "--quiet"]
    compare = tmp_path / "compare"
    assert main(["compare", "baseline", "facilitation", *common, "--out", str(compare)]) == 0
    assert len(pd.read_csv(compare / "runs.csv")) == 2
    sweep = tmp_path / "sweep"
    assert (
        main(
            [
                "sweep",
                "baseline",
                "--param",
                "trust_threshold=0.3,0.6",
                *common,
                "--out",
                str(sweep),
            ]
        )
        == 0
    )
    assert len(pd.read_csv(sweep / "points.csv")) == 2
    sens = tmp_path / "sens"
    assert (
        main(
            [
                "sensitivity",
                "baseline",
                "--method",
                "morris",
                "--samples",
                "2",
                "--param",
                "trust_threshold",
                "--no-figures",
                *common[:-1],
                "--out",
                str(sens),
            ]
        )
        == 0
    )
    assert (sens / "indices.csv").is_file()


def test_a_missing_park_file_is_one_line(tmp_path, capsys):
    status = main(
        ["run", "baseline", "--park", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "no such park file" in err
    assert not (tmp_path / "out").exists()


def test_editing_a_park_file_recomputes_the_runs_that_use_it(tmp_path):
    # The run key holds the park file's absolute path and a hash of its contents: a rerun of
    # the unchanged file reuses its runs, a rerun after an edit recomputes them.
    from scenarios.parks import PARKS_DIR

    park_file = tmp_path / "mypark.toml"
    text = (PARKS_DIR / "kemi_tornio.toml").read_text()
    assert "count = 40\n" in text
    park_file.write_text(text)
    out = tmp_path / "compare"
    argv = ["compare", "baseline", "--park", str(park_file), "--steps", "6"]
    argv += ["--replications", "2", "--workers", "1", "--quiet", "--out", str(out)]

    def counts() -> tuple[int, int]:
        manifest = json.loads((out / "manifest.json").read_text())
        return manifest["runs_reused"], manifest["runs_done"]

    assert main(argv) == 0
    before = pd.read_csv(out / "runs.csv")
    assert main(argv) == 0
    assert counts() == (2, 0)
    park_file.write_text(text.replace("count = 40\n", "count = 5\n"))
    assert main(argv) == 0
    assert counts() == (0, 2)
    after = pd.read_csv(out / "runs.csv")
    assert len(after) == 2 and set(after["run_key"]).isdisjoint(before["run_key"])
    outputs = [name for name in before.columns if name in set(after.columns) - {"run_key"}]
    numbers = before[outputs].select_dtypes("number").columns
    assert not before[numbers].equals(after[numbers])


def test_a_built_in_park_keeps_its_run_key():
    from simulation.experiments.engine import RunSpec, _package_version
    from simulation.experiments.fingerprint import model_fingerprint, park_file_digest

    spec = RunSpec("baseline", {"park": "synthetic", "n_firms": 40}, 6, 1, 0)
    assert park_file_digest(spec.params) == ""
    text = json.dumps([spec.base_key, model_fingerprint(), _package_version()])
    assert spec.key == hashlib.sha256(text.encode()).hexdigest()[:24]
