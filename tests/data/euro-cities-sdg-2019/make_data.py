"""Write ``cities.csv``, the input of the European Cities SDG Index 2019 replication.

``ods_index_and_dashboard.csv`` (the published sheet, see SOURCE.md) mixes raw indicator values
with the published results. The replication must score from raw values only, so this script keeps

* ``city`` and ``region`` (the region drives the group-mean imputation), and
* the 56 raw indicator columns, renamed from ``"<short> : <label>"`` to the codebook's ``short``
  code (``sdg1_depriv``), which is the indicator id of ``library/``,

and leaves out every published result: ``score``, ``rank``, ``SDG1`` … ``SDG16`` and the
``Dashboard …`` colours. Cells are copied as text, byte for byte (blank = missing), so no value is
re-rounded on the way. Rows keep the published order.

Run from anywhere (``python tests/data/euro-cities-sdg-2019/make_data.py``); the output is
deterministic, and ``tests/test_replication_euro_cities.py`` checks that the committed file is
exactly what this script writes. ``--check`` only compares and exits 1 on a difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "ods_index_and_dashboard.csv"
CODEBOOK = HERE / "ods_codebook.csv"
TARGET = HERE / "cities.csv"


def build() -> str:
    """The text of ``cities.csv``."""
    import pandas as pd

    raw = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    codes = pd.read_csv(CODEBOOK, dtype=str, keep_default_na=False)["short"].tolist()
    by_code = {col.split(" : ", 1)[0]: col for col in raw.columns if " : " in col}
    missing = [c for c in codes if c not in by_code]
    extra = [c for c in by_code if c not in codes]
    if missing or extra:
        raise SystemExit(f"codebook and sheet disagree: missing {missing}, extra {extra}")
    out = raw[["city", "region", *(by_code[c] for c in codes)]]
    out.columns = ["city", "region", *codes]
    return out.to_csv(index=False, lineterminator="\n")


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.name}: {'up to date' if same else 'differs from make_data.py output'}")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({text.count(chr(10)) - 1} cities)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
