"""The Python API (`import citystd`): the tidy DataFrames equal the results document, DataFrames in
any layout score like files, errors carry every finding, files are written like the CLI's, the
notebook view escapes text, and `import citystd` stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import citystd
from citystd.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
DATA = FIXTURES / "cities.csv"
PANEL = FIXTURES / "cities_long.csv"


def demo(data: object, **kw: object) -> citystd.Results:
    return citystd.score(data, "demo", library=[FIXTURES], **kw)


def test_public_surface_is_all() -> None:
    assert set(citystd.__all__) == {"CitystdError", "Diagnostic", "Library", "Results", "__version__", "audit",
                                    "load_library", "score"}
    for name in citystd.__all__:
        assert getattr(citystd, name) is not None
    with pytest.raises(AttributeError):
        _ = citystd.not_a_name  # type: ignore[attr-defined]


def test_import_is_light() -> None:
    code = "import sys, citystd; print(sorted(m for m in ('pandas', 'numpy', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tidy_frames_equal_the_results_document() -> None:
    r = demo(PANEL)
    doc = r.doc
    rows = {(x["city"], x["year"]): x for x in doc["results"]}
    scores, inds = r.scores, r.indicators
    assert len(scores) == len(rows) * (1 + len(doc["results"][0]["nodes"]))
    assert len(inds) == len(rows) * len(doc["indicators"])
    for rec in scores.itertuples(index=False):
        row = rows[(str(rec.city), None if pd.isna(rec.year) else int(rec.year))]
        want = row if rec.node == "overall" else row["nodes"][str(rec.node)]
        assert (None if pd.isna(rec.score) else rec.score) == want["score"]
        assert (None if pd.isna(rec.rank) else int(rec.rank)) == want["rank"]
        assert (None if pd.isna(rec.rating) else str(rec.rating)) == want["rating"]
        assert (None if pd.isna(rec.coverage) else rec.coverage) == want["coverage"]
    for rec in inds.itertuples(index=False):
        want = rows[(str(rec.city), int(rec.year))]["indicators"][str(rec.indicator)]
        assert (None if pd.isna(rec.value) else rec.value) == want["value"]
        assert (None if pd.isna(rec.score) else rec.score) == want["score"]
    ranking = r.ranking()
    assert list(ranking.columns) == ["city", "code", "year", "score", "rank", "rating", "coverage"]
    assert ranking.groupby("year")["rank"].min().eq(1).all()


def test_a_dataframe_scores_like_the_file_it_came_from() -> None:
    from_file = demo(DATA)
    frame = pd.read_csv(DATA, thousands=",")
    from_frame = demo(frame)
    a = from_file.scores.drop(columns="code").reset_index(drop=True)
    b = from_frame.scores.drop(columns="code").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    # long layout: city, year, variable, value
    long = frame.melt(id_vars=["city", "region"], var_name="variable", value_name="value").drop(columns="region")
    long.insert(1, "year", 2023)
    from_long = demo(long)
    assert from_long.ranking()["city"].astype(str).tolist() == from_file.ranking()["city"].astype(str).tolist()
    assert from_frame.doc["input"]["file"] == "<DataFrame>"


def test_errors_carry_every_finding() -> None:
    with pytest.raises(citystd.CitystdError) as exc:
        demo(FIXTURES / "cities_bad.csv")
    err = exc.value
    assert err.exit_code == 1
    errors = [d for d in err.diagnostics if d.level.value == "error"]
    assert len(errors) >= 2 and err.diagnostic in err.diagnostics
    assert all(d.location.file and d.location.file.endswith("cities_bad.csv") for d in errors)
    # with keep_going the same data scores, and the findings are issues
    r = demo(FIXTURES / "cities_bad.csv", keep_going=True)
    assert set(r.issues["severity"]) >= {"error"} and set(r.issues.columns) >= {"code", "file", "line", "message"}
    with pytest.raises(citystd.CitystdError) as exc:
        citystd.score(DATA, "no-such-framework")
    assert exc.value.exit_code == 2 and exc.value.diagnostic.code == "U901"
    with pytest.raises(citystd.CitystdError):
        citystd.score([], "demo", library=[FIXTURES])
    with pytest.raises(citystd.CitystdError):
        demo(DATA, lang="fr")


def test_files_are_those_of_the_cli(tmp_path: Path) -> None:
    r = demo(DATA)
    r.to_json(tmp_path / "api.json")
    cli = CliRunner().invoke(app, ["score", str(DATA), "-f", "demo", "--library", str(FIXTURES), "-o",
                                   str(tmp_path / "cli.json")])
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "api.json").read_bytes() == (tmp_path / "cli.json").read_bytes()
    for name, write in (("r.parquet", r.to_parquet), ("r.xlsx", r.to_excel), ("r.html", r.to_html),
                        ("r.md", r.to_markdown), ("r.csv", r.to_csv)):
        path = write(tmp_path / name)
        assert path.stat().st_size > 0
    assert r.to_html(tmp_path / "one.html", city="Aston").read_text(encoding="utf-8").count("Aston") > 0
    # an output that is one of the inputs is refused, and the input is untouched
    before = DATA.read_bytes()
    with pytest.raises(citystd.CitystdError) as exc:
        r.to_json(DATA)
    assert exc.value.diagnostic.code == "U907" and DATA.read_bytes() == before


def test_notebook_view_escapes_names() -> None:
    frame = pd.read_csv(DATA, thousands=",")
    frame.loc[0, "city"] = "<script>alert(1)</script>"
    r = demo(frame)
    view = r._repr_html_()
    assert "<script>alert" not in view and "&lt;script&gt;" in view
    assert view.count("<tr>") == 1 + len(frame)
    assert repr(r).startswith("<citystd.Results: demo")


def test_library_frames() -> None:
    lib = citystd.load_library()
    ind = lib.indicators
    assert ind.index.is_unique and {"name_zh", "name_en", "unit_zh", "unit_en", "direction", "domain"} <= set(ind)
    assert len(ind) == len(lib.indicators) and len(lib.variables) > 100
    fw = lib.frameworks
    assert {"action-plan", "sdg11"} <= set(fw.index)
    row = fw.loc["sdg11"]
    assert row["indicators"] >= row["scored"] > 0
    w = lib.framework("sdg11")
    assert w["weight"].sum() == pytest.approx(1.0) and len(w) == row["indicators"]
    with pytest.raises(citystd.CitystdError):
        lib.framework("sdg-11")
    own = citystd.load_library([FIXTURES])
    assert list(own.frameworks.index) == ["demo"]
    broken = ROOT / "tests" / "fixtures" / "validate" / "cases" / "N401_range_order.yaml"
    with pytest.raises(citystd.CitystdError) as exc:
        citystd.load_library([broken])
    assert any(d.code == "N401" for d in exc.value.diagnostics)


def test_results_json_text_round_trips() -> None:
    r = demo(DATA)
    assert json.loads(json.dumps(r.doc))["framework"] == r.framework


def test_audit_of_a_dataframe_equals_the_audit_of_its_file(tmp_path: Path) -> None:
    lib = tmp_path / "asem"
    res = CliRunner().invoke(app, ["import", "coinr", str(ROOT / "tests/data/asem/iData.csv"),
                                   str(ROOT / "tests/data/asem/iMeta.csv"), "-o", str(lib), "--framework-id", "asem"])
    assert res.exit_code == 0, res.output
    kw: dict[str, object] = {"library": [lib], "n": 8, "seed": 3, "sensitivity": False}
    from_file = citystd.audit(lib / "data.csv", "asem", **kw)  # type: ignore[arg-type]
    from_frame = citystd.audit(pd.read_csv(lib / "data.csv"), "asem", **kw)  # type: ignore[arg-type]
    assert from_frame["uncertainty"] == from_file["uncertainty"]
    assert from_frame["coherence"] == from_file["coherence"]
    assert from_file["settings"]["replications"] > 0
