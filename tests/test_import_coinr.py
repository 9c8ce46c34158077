"""`citystd import coinr`: COINr iData/iMeta → citystd library, framework and data file.

The ASEM example of COINr 1.1.14 (tests/data/asem/SOURCE.md) is the main case; small synthetic
tables cover the id scheme, the YAML quoting and every error path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.diagnostics import CitystdError
from citystd.importers.coinr import (
    DATA_FILE,
    YAML_FILES,
    citystd_id,
    import_coinr,
    render_files,
    write_library,
)
from citystd.library.formula import evaluate, parse
from citystd.library.load import load_library
from citystd.library.models import Leaf, Node
from citystd.library.validate import validate

ASEM = Path(__file__).resolve().parent / "data" / "asem"
runner = CliRunner()


@pytest.fixture(scope="module")
def idata() -> pd.DataFrame:
    return pd.read_csv(ASEM / "iData.csv")


@pytest.fixture(scope="module")
def imeta() -> pd.DataFrame:
    return pd.read_csv(ASEM / "iMeta.csv")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ASEM tables imported through the command line."""
    out = tmp_path_factory.mktemp("asem") / "lib"
    r = runner.invoke(app, ["import", "coinr", str(ASEM / "iData.csv"), str(ASEM / "iMeta.csv"), "-o", str(out),
                            "--framework-id", "asem"])
    assert r.exit_code == 0, r.output
    assert "49 indicators" in r.stderr and "--library" in r.stderr
    return out


def indicators_of(meta: pd.DataFrame) -> pd.DataFrame:
    return meta[meta["Type"] == "Indicator"].set_index("iCode")


# ---------------------------------------------------------------------------- ids

@pytest.mark.parametrize(("code", "expected"), [
    ("LPI", "lpi"), ("ConEcFin", "conecfin"), ("CO2", "co2"), ("Pop-den", "pop_den"), ("4G", "x_4g"),
    ("  GDP per cap. ", "gdp_per_cap"), ("__x__", "x"), ("人口", "x"), ("Index", "index"),
])
def test_citystd_id(code: str, expected: str) -> None:
    assert citystd_id(code) == expected


# ---------------------------------------------------------------------------- the ASEM library

def test_output_files(imported: Path) -> None:
    assert sorted(p.name for p in imported.iterdir()) == sorted([*YAML_FILES, DATA_FILE])
    assert not [p for p in imported.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_imported_library_validates_strict(imported: Path) -> None:
    r = runner.invoke(app, ["validate", str(imported), "--strict"])
    assert r.exit_code == 0, r.output
    lib, diags = validate([imported], strict=True)
    assert diags == []
    assert list(lib.frameworks) == ["asem"]


def test_indicators_directions_formulas_targets(imported: Path, imeta: pd.DataFrame) -> None:
    lib, _ = load_library([imported])
    meta = indicators_of(imeta)
    assert len(lib.indicators) == 49 == len(meta)
    for code, row in meta.iterrows():
        ind = lib.indicators[citystd_id(code)]
        assert ind.direction == {1: "higher", -1: "lower"}[row["Direction"]], code
        assert ind.domain == citystd_id(row["Parent"])
        assert ind.target is not None and ind.target.value == row["Target"]
        assert ind.goalposts is None
        if pd.isna(row["Denominator"]):
            assert ind.formula is None
        else:
            assert ind.formula == f"{citystd_id(code)}_raw / {citystd_id(row['Denominator'])}"
        assert ind.name.zh == ind.name.en == row["iName"]
        assert {"coinr-import", "needs-translation"} <= set(ind.tags)
        assert ind.provenance and "translation" in ind.provenance
        assert f"iCode {code}" in (ind.notes or "")
    denominated = meta["Denominator"].notna().sum()
    assert denominated == 17
    assert set(lib.variables) == {"area", "energy", "gdp", "population"} | {
        f"{citystd_id(c)}_raw" for c in meta.index[meta["Denominator"].notna()]}
    assert len(lib.domains) == 8


def test_tree_levels_and_weights(imported: Path, imeta: pd.DataFrame) -> None:
    lib, _ = load_library([imported])
    fw = lib.frameworks["asem"]
    assert fw.name.en == "Sustainable Connectivity"  # the single level-4 aggregate is the root
    assert [n.id for n in fw.tree] == ["conn", "sust"]
    pillars = [p for top in fw.tree for p in top.children]
    assert all(isinstance(p, Node) for p in pillars) and len(pillars) == 8
    leaves = [leaf for p in pillars for leaf in p.children]
    assert all(isinstance(leaf, Leaf) for leaf in leaves) and len(leaves) == 49
    # 4 levels: root (Index) → sub-index → pillar → indicator, parents as in iMeta
    parent = imeta.set_index("iCode")["Parent"]
    weight = imeta.set_index("iCode")["Weight"]
    code_of = {citystd_id(c): c for c in imeta["iCode"]}
    for top in fw.tree:
        assert parent[code_of[top.id]] == "Index" and top.weight == weight[code_of[top.id]]
        for p in top.children:
            assert parent[code_of[p.id]] == code_of[top.id] and p.weight == weight[code_of[p.id]]
            for leaf in p.children:
                assert parent[code_of[leaf.indicator]] == code_of[p.id]
                assert leaf.weight == weight[code_of[leaf.indicator]]


def test_pipeline_is_coinr_canonical(imported: Path) -> None:
    from citystd.library.pipeline import step_name, step_params

    lib, _ = load_library([imported])
    steps = [(step_name(s), step_params(s).model_dump(exclude_defaults=True)) for s in lib.frameworks["asem"].pipeline]
    assert steps == [
        ("impute", {"method": "group_mean", "by": "EurAsia_group"}),
        ("screen", {"min_coverage": 0.9}),
        ("treat", {}),  # winsorise, winmax 5: the defaults
        ("normalise", {"method": "minmax"}),  # range [0, 100] is the default
        ("aggregate", {}),  # arithmetic
    ]


def test_data_file(imported: Path, idata: pd.DataFrame, imeta: pd.DataFrame) -> None:
    data = pd.read_csv(imported / DATA_FILE)
    meta = indicators_of(imeta)
    head = ["uCode", "uName", "GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group", "Time",
            "area", "energy", "gdp", "population"]
    assert list(data.columns[:11]) == head
    assert len(data.columns) == 11 + 49 and len(data) == 51
    for code, row in meta.iterrows():
        col = citystd_id(code) + ("" if pd.isna(row["Denominator"]) else "_raw")
        pd.testing.assert_series_equal(data[col], idata[code].astype(float), check_names=False, check_dtype=False)
    pd.testing.assert_series_equal(data["uCode"], idata["uCode"], check_names=False, check_dtype=False)


def test_formulas_divide_by_the_denominator(imported: Path, idata: pd.DataFrame, imeta: pd.DataFrame) -> None:
    lib, _ = load_library([imported])
    data = pd.read_csv(imported / DATA_FILE)
    env = {c: data[c].to_numpy(dtype=float) for c in data.columns if c in lib.variables}
    for code, row in indicators_of(imeta).iterrows():
        ind = lib.indicators[citystd_id(code)]
        if ind.formula is None:
            continue
        got = evaluate(parse(ind.formula), env)
        want = (idata[code] / idata[row["Denominator"]]).to_numpy(dtype=float)
        np.testing.assert_array_equal(got, want)


def test_render_is_deterministic(idata: pd.DataFrame, imeta: pd.DataFrame) -> None:
    a = render_files(import_coinr(idata, imeta, "asem"))
    b = render_files(import_coinr(idata.sample(frac=1, random_state=1), imeta, "asem"))
    assert a == b


def test_cli_does_not_import_pandas_at_start() -> None:
    code = "import sys, citystd.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- synthetic tables

def small_tables(**changes: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two indicators (one divided by a denominator) under one pillar under the index."""
    meta = pd.DataFrame([
        {"Level": 1, "iCode": "A", "iName": "No", "Direction": 1, "Weight": 2, "Unit": "1.0", "Target": None,
         "Denominator": "Pop", "Parent": "P1", "Type": "Indicator"},
        {"Level": 1, "iCode": "On", "iName": "Alpha, beta: \"gamma\"", "Direction": -1, "Weight": 1, "Unit": None,
         "Target": 1e-05, "Denominator": None, "Parent": "P1", "Type": "Indicator"},
        {"Level": 2, "iCode": "P1", "iName": "yes", "Direction": 1, "Weight": 1, "Unit": None, "Target": None,
         "Denominator": None, "Parent": "Top", "Type": "Aggregate"},
        {"Level": 3, "iCode": "Top", "iName": "Top index", "Direction": 1, "Weight": 1, "Unit": None, "Target": None,
         "Denominator": None, "Parent": None, "Type": "Aggregate"},
        {"Level": None, "iCode": "Region", "iName": "Region", "Direction": None, "Weight": None, "Unit": None,
         "Target": None, "Denominator": None, "Parent": None, "Type": "Group"},
        {"Level": None, "iCode": "Pop", "iName": "Population", "Direction": None, "Weight": None, "Unit": "k",
         "Target": None, "Denominator": None, "Parent": None, "Type": "Denominator"},
    ])
    data = pd.DataFrame({"uCode": ["X", "Y", "Z"], "Region": ["n", "s", "s"], "Pop": [10.0, 20.0, 40.0],
                         "A": [1.0, np.nan, 3.0], "On": [0.5, 0.25, 0.125]})
    for key, value in changes.items():
        table, _, rest = key.partition("__")
        if table == "meta":
            code, column = rest.split("__")
            meta[column] = meta[column].astype(object)
            meta.loc[meta["iCode"] == code, column] = value
        elif table == "drop":
            meta = meta.drop(columns=[rest])
    return data, meta


def test_tricky_names_are_quoted_and_valid(tmp_path: Path) -> None:
    data, meta = small_tables()
    lib = import_coinr(data, meta, "small")
    write_library(lib, tmp_path)
    assert 'id: "on"' in (tmp_path / "indicators.yaml").read_text(encoding="utf-8")
    loaded, diags = validate([tmp_path], strict=True)
    assert [f"{d.code} {d.message.en}" for d in diags] == []
    on = loaded.indicators["on"]
    assert on.name.en == 'Alpha, beta: "gamma"' and on.target.value == 1e-05
    assert on.unit.en == "not stated"
    assert loaded.indicators["a"].name.en == "No" and loaded.indicators["a"].unit == "1.0 per Population (k)"
    assert loaded.domains["p1"].name.en == "yes"
    fw = loaded.frameworks["small"]
    assert fw.name.en == "Top index"
    assert [(leaf.indicator, leaf.weight) for leaf in fw.tree[0].children] == [("a", 2.0), ("on", 1.0)]
    # no EurAsia_group: plain mean imputation
    assert lib.framework["pipeline"][0] == {"impute": {"method": "mean"}}
    assert import_coinr(data, meta, "small", impute_by="Region").framework["pipeline"][0] == {
        "impute": {"method": "group_mean", "by": "Region"}}
    assert list(lib.data.columns) == ["uCode", "Region", "pop", "a_raw", "on"]


def _fails(code: str, data: pd.DataFrame, meta: pd.DataFrame, **kw: object) -> str:
    with pytest.raises(CitystdError) as info:
        import_coinr(data, meta, **kw)  # type: ignore[arg-type]
    assert info.value.diagnostic.code == code, info.value.diagnostic
    msg = info.value.diagnostic.message
    assert msg.en and msg.zh and msg.en != msg.zh
    return msg.en


@pytest.mark.parametrize(("changes", "code", "words"), [
    ({"drop__Parent": None}, "S103", "Parent"),
    ({"meta__A__Direction": 2}, "S106", "Direction 2"),
    ({"meta__A__Level": 2}, "S106", "indicators are level 1"),
    ({"meta__A__Parent": "Nowhere"}, "R204", "Nowhere"),
    ({"meta__A__Weight": -1}, "T503", "negative"),
    ({"meta__A__Weight": "heavy"}, "S102", "heavy"),
    ({"meta__A__Denominator": "Area"}, "R203", "Area"),
    ({"meta__A__Type": "Indicatr"}, "S106", "Indicatr"),
    ({"meta__On__iCode": "A"}, "R201", "more than once"),
    ({"meta__On__iCode": "a"}, "D709", "a"),
])
def test_bad_tables(changes: dict, code: str, words: str) -> None:
    data, meta = small_tables(**changes)
    assert words in _fails(code, data, meta)


def test_codes_colliding_as_ids() -> None:
    data, meta = small_tables(meta__On__iCode="a")
    data = data.rename(columns={"On": "a"})
    assert "'A' and 'a'" in _fails("R201", data, meta)


def test_bad_framework_id_and_group() -> None:
    data, meta = small_tables()
    assert "Bad Id" in _fails("S105", data, meta, framework_id="Bad Id")
    assert "Regoin" in _fails("S106", data, meta, framework_id="x", impute_by="Regoin")
    assert "uCode" in _fails("D702", data.drop(columns=["uCode"]), meta)


def _cli(tmp_path: Path, idata: Path, imeta: Path) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    r = runner.invoke(app, ["import", "coinr", str(idata), str(imeta), "-o", str(out)])
    return r.exit_code, r.stderr, out


def test_cli_missing_imeta_column(tmp_path: Path) -> None:
    meta = pd.read_csv(ASEM / "iMeta.csv").drop(columns=["Weight"])
    meta.to_csv(tmp_path / "iMeta.csv", index=False)
    code, err, out = _cli(tmp_path, ASEM / "iData.csv", tmp_path / "iMeta.csv")
    assert code == 1
    assert "S103" in err and "Weight" in err and "Traceback" not in err
    assert not out.exists()  # nothing written


def test_cli_unreadable_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "iMeta.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    code, err, out = _cli(tmp_path, ASEM / "iData.csv", bad)
    assert code == 1 and "D701" in err and "Traceback" not in err and not out.exists()
    code, err, out = _cli(tmp_path, tmp_path / "nope.csv", ASEM / "iMeta.csv")
    assert code == 2 and "U901" in err and not out.exists()
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, err, _ = _cli(tmp_path, empty, ASEM / "iMeta.csv")
    assert code == 1 and "D711" in err


def test_cli_messages_in_chinese(tmp_path: Path) -> None:
    meta = pd.read_csv(ASEM / "iMeta.csv").drop(columns=["Parent"])
    meta.to_csv(tmp_path / "iMeta.csv", index=False)
    r = runner.invoke(app, ["import", "coinr", str(ASEM / "iData.csv"), str(tmp_path / "iMeta.csv"),
                            "-o", str(tmp_path / "o"), "--lang", "zh"])
    assert r.exit_code == 1 and "缺少列" in r.stderr
