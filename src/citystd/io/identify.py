"""Which city is which: resolving the cities of a table to 6-digit division codes.

A code column (``city_code``, ``行政区划代码`` …) gives each row's code directly; names are
resolved with the city register (:mod:`citystd.io.cities`). The register is a help, not a gate:
a name it does not know is kept, scored under its own name, and reported (D737) with a
did-you-mean.
"""

from __future__ import annotations

import pandas as pd

from citystd.io.model import CityData


def identify(data: CityData) -> CityData:
    """``data`` with ``codes`` (unit → code) from its code column."""
    if data.codes is not None:
        codes = data.codes.astype(object).where(data.codes.astype(str).str.fullmatch(r"\d{6}(?:\d{6})?"))
        data.codes = codes.map(lambda c: c[:6] if isinstance(c, str) else c).astype(object)
    else:
        data.codes = pd.Series(dtype=object)
    return data
