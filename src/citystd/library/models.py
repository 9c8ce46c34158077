"""The YAML format as pydantic models: domains, variables, indicators and frameworks.

These models define shape only (keys, types, allowed values). Rules that span several objects
(references, orders of bounds, cycles) live in :mod:`citystd.library.rules`, so that each finding can
carry its own stable code. The models never import pandas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from citystd.library.pipeline import PipelineStep

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
FRAMEWORK_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
FrameworkId = Annotated[str, StringConstraints(pattern=FRAMEWORK_ID_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Direction = Literal["higher", "lower", "target"]
Verified = Literal["yes", "partial", "unverified"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Spec):
    """A text in both languages."""

    zh: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


Unit = Union[str, Text]
Range = tuple[float | None, float | None]


def unit_text(unit: Unit | None, lang: str) -> str:
    if unit is None:
        return ""
    return unit if isinstance(unit, str) else unit.get(lang)


class Domain(Spec):
    id: Id
    name: Text
    description: Text | None = None


class Variable(Spec):
    """A raw statistic a city reports (population, GDP, number of hospital beds …)."""

    id: Id
    name: Text
    unit: Unit
    range: Range = (None, None)
    description: Text | None = None


class Goalposts(Spec):
    """Fixed normalisation bounds in indicator units: ``worst`` scores 0, ``best`` scores 100."""

    worst: float
    best: float


class Target(Spec):
    value: float
    year: int | None = None
    source: str | None = None


class Thresholds(Spec):
    """Rating cut-offs in indicator units, read in the indicator's direction.

    At least as good as ``green`` is green; as good as ``yellow`` yellow; as good as ``orange``
    orange; worse than ``orange`` red.
    """

    green: float
    yellow: float
    orange: float


class Source(Spec):
    standard: NonEmpty
    clause: str | None = None
    verified: Verified | None = None
    note: str | None = None


class Indicator(Spec):
    id: Id
    name: Text
    definition: Text
    domain: Id
    unit: Unit
    direction: Direction
    formula: str | None = None
    range: Range = (None, None)
    goalposts: Goalposts | None = None
    target: Target | None = None
    thresholds: Thresholds | None = None
    sources: list[Source] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    provenance: str | None = None
    notes: str | None = None
    #: A context indicator describes the city (its size, a count a standard asks for, a profile item)
    #: and is shown in profiles and reports, but never scored: a framework leaf that holds it weighs 0
    #: whatever its written weight, it is not normalised, and it needs no goalposts.
    context: bool = False


class Override(Spec):
    """Per-indicator settings a framework uses instead of the library's."""

    direction: Direction | None = None
    goalposts: Goalposts | None = None
    thresholds: Thresholds | None = None
    target: Target | None = None


class Leaf(Spec):
    indicator: str
    weight: float = 1.0


class Node(Spec):
    id: Id
    name: Text
    weight: float = 1.0
    children: list[TreeItem] = Field(default_factory=list)


def _tree_tag(value: Any) -> str:
    if isinstance(value, dict):
        return "leaf" if "indicator" in value else "node"
    return "leaf" if isinstance(value, Leaf) else "node"


TreeItem = Annotated[
    Annotated[Node, Tag("node")] | Annotated[Leaf, Tag("leaf")],
    Discriminator(_tree_tag),
]
Node.model_rebuild()


class Edition(Spec):
    """The standard and edition a framework follows, and how far its structure was checked against it."""

    standard: NonEmpty
    published: str | None = None
    verified: Verified | None = None
    note: str | None = None


class Framework(Spec):
    id: FrameworkId
    version: str
    name: Text
    description: Text | None = None
    edition: Edition | None = None
    pipeline: list[PipelineStep] = Field(default_factory=list)
    tree: list[TreeItem]
    overrides: dict[str, Override] = Field(default_factory=dict)
    #: what an audit varies (:mod:`citystd.library.uncertainty`; checked by rules A001–A014)
    uncertainty: list[Any] | None = None


class LibraryFile(Spec):
    """One YAML file of a library. Used for the JSON Schema; loading validates item by item."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="citystd library file",
        json_schema_extra={
            "description": "A citystd indicator library file: domains, variables, indicators "
            "and/or one framework. Format reference: docs/format.md."
        },
    )

    citystd: Literal[1]
    domains: list[Domain] = Field(default_factory=list)
    variables: list[Variable] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    framework: Framework | None = None


#: Top-level keys of a file and the item model of each.
FILE_SECTIONS: dict[str, type[Spec]] = {
    "domains": Domain,
    "variables": Variable,
    "indicators": Indicator,
}
