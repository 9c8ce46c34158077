"""`citystd audit` end to end through the real CLI: JSON contract, determinism, errors with codes,
and a real Dask cluster (a scheduler and two workers started here on localhost)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
UNCERTAINTY = """\
citystd: 1
uncertainty:
  - {name: winmax, step: treat, param: winmax, values: [1, 3, 5]}
  - {name: normalisation, step: normalise, param: method, values: [minmax, zscore]}
  - {name: weights, weights_noise: 0.25}
  - {name: drop, exclude: nodes, level: 1}
"""


def _audit(asem, tmp: Path, *extra: str) -> tuple[int, str, bytes | None]:  # type: ignore[no-untyped-def]
    unc = tmp / "unc.yaml"
    unc.write_text(UNCERTAINTY, encoding="utf-8")
    out = tmp / f"audit-{len(list(tmp.iterdir()))}.json"
    r = runner.invoke(app, ["audit", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem",
                            "-u", str(unc), "-N", "16", "--seed", "4", "--size", "population", "--bootstrap", "50",
                            "-o", str(out), *extra])
    return r.exit_code, r.output, out.read_bytes() if out.exists() else None


def test_json_contract(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, output, data = _audit(asem, tmp_path)
    assert code == 0, output
    doc = json.loads(data)
    assert doc["kind"] == "citystd-audit" and doc["schema"] == 1
    assert doc["settings"]["replications"] == 16 * 6 and doc["settings"]["design"] == "saltelli"
    assert [u["name"] for u in doc["uncertainty"]] == ["winmax", "normalisation", "weights", "drop"]
    assert len(doc["ranks"]) == 51 and set(doc["ranks"][0]["nodes"]) == set(doc["node_order"][1:])
    row = next(r for r in doc["ranks"] if r["city"] == "CHE")
    assert row["rank"] == 1 and row["q05"] <= row["median_rank"] <= row["q95"]
    (s,) = doc["sensitivity"]
    assert [i["input"] for i in s["indices"]] == ["winmax", "normalisation", "weights", "drop"]
    assert len(doc["replications"]["rows"]) == 96 and doc["replications"]["columns"][:2] == ["row", "block"]
    assert {x["node"] for x in doc["coherence"]["size"]} >= {"root"}
    assert {d["kind"] for d in doc["drop_one"]} == {"indicator", "node"}


def test_byte_identical_for_a_seed(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = _audit(asem, tmp_path), _audit(asem, tmp_path)
    assert a[0] == b[0] == 0 and a[2] == b[2]
    c = _audit(asem, tmp_path, "--seed", "5")
    assert c[2] != a[2]


def test_table_summary_in_both_languages(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for lang, word in (("en", "Rank intervals"), ("zh", "排名区间")):
        unc = tmp_path / "unc.yaml"
        unc.write_text(UNCERTAINTY, encoding="utf-8")
        r = runner.invoke(app, ["audit", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem",
                                "-u", str(unc), "-N", "4", "--bootstrap", "10", "--lang", lang])
        assert r.exit_code == 0, r.output
        assert word in r.stdout and "CHE" in r.stdout


@pytest.mark.parametrize(("text", "code"), [
    ("citystd: 1\nweights: 0.2\n", "A016"),
    ("uncertainty:\n  - {name: w, step: treat, param: winmx, values: [1, 2]}\n", "A004"),
    ("uncertainty:\n  - {name: w, weights_noise: 2}\n", "A010"),
])
def test_uncertainty_errors_stop_with_their_code(asem, tmp_path: Path, text: str, code: str) -> None:  # type: ignore[no-untyped-def]
    unc = tmp_path / "bad.yaml"
    unc.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["audit", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem",
                            "-u", str(unc), "-N", "4"])
    assert r.exit_code == 1 and code in r.output and "bad.yaml" in r.output


def test_usage_errors(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = ["audit", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem"]
    r = runner.invoke(app, [*base, "--size", "populaton", "-N", "4"])
    assert r.exit_code == 1 and "A017" in r.output and "population" in r.output
    r = runner.invoke(app, [*base, "-N", "1"])
    assert r.exit_code == 2 and "A018" in r.output
    r = runner.invoke(app, [*base, "--year", "1999", "-N", "4"])
    assert r.exit_code == 2 and "1999" in r.output
    data = asem.root / "data.csv"
    before = data.read_bytes()
    r = runner.invoke(app, [*base, "-N", "4", "-o", str(data), "--format", "json"])
    assert r.exit_code == 2 and data.read_bytes() == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_identical_on_a_real_dask_cluster(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`dask scheduler` and two `dask worker` processes on localhost: the same bytes as serial."""
    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        time.sleep(1.0)
        for _ in range(2):
            procs.append(subprocess.Popen([str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        from dask.distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        code, output, distributed = _audit(asem, tmp_path, "--scheduler", address)
        assert code == 0, output
        code, output, serial = _audit(asem, tmp_path)
        assert code == 0, output
        assert distributed == serial
        os.environ["DASK_SCHEDULER_ADDRESS"] = address
        try:
            code, output, from_env = _audit(asem, tmp_path)
        finally:
            del os.environ["DASK_SCHEDULER_ADDRESS"]
        assert from_env == serial
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_several_files_are_one_data_set(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """As citystd score: the data split into two files (columns) audits like the one file."""
    import csv

    rows = list(csv.reader((asem.root / "data.csv").open(encoding="utf-8")))
    head = rows[0]
    keys = [head.index(c) for c in ("uCode", "uName", "Time")]
    half = len(head) // 2
    a = [k for k in range(len(head)) if k not in keys and k < half]
    b = [k for k in range(len(head)) if k not in keys and k >= half]
    for name, cols in (("a.csv", keys + a), ("b.csv", keys + b)):
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([[r[k] for k in cols] for r in rows])
    unc = tmp_path / "unc.yaml"
    unc.write_text("uncertainty:\n  - {name: weights, weights_noise: 0.2}\n", encoding="utf-8")
    docs = []
    for data in ([str(asem.root / "data.csv")], [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]):
        r = runner.invoke(app, ["audit", *data, "--library", str(asem.root), "-f", "asem", "-u", str(unc), "-N", "8",
                                "--bootstrap", "20", "--format", "json"])
        assert r.exit_code == 0, r.output
        docs.append(json.loads(r.stdout))
    assert docs[0]["ranks"] == docs[1]["ranks"] and docs[0]["coherence"] == docs[1]["coherence"]
    assert len(docs[1]["input"]["sources"]) == 2
