"""Pipeline steps of a framework and their parameters (methods of reference/methods.md).

A pipeline is an ordered list of one-key mappings, e.g.::

    pipeline:
      - impute: {method: group_mean, by: region}
      - treat: {method: winsorise, winmax: 5}
      - normalise: {method: goalposts}
      - aggregate: {method: arithmetic, min_coverage: 0.5}

Each step's parameters are a pydantic model here; unknown steps, methods and parameters are
reported by :mod:`citystd.library.rules` with codes T505–T507. A pipeline is plain data, so it can be
serialised, varied (``--set normalise.method=minmax``) and re-run.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

Fraction = Annotated[float, Field(ge=0, le=1)]
#: scores live on a human scale: a normalised range, mean, spread or tier score within ±10^9
#: (larger ones overflow charts and sums, and no report could show them)
Scale = Annotated[float, Field(ge=-1e9, le=1e9)]

ImputeMethod = Literal["mean", "median", "group_mean", "group_median", "latest", "linear"]
TreatMethod = Literal["winsorise", "clip_percentile"]
NormaliseMethod = Literal[
    "minmax",
    "zscore",
    "goalposts",
    "distance_to_target",
    "rank",
    "borda",
    "percentile_rank",
    "fraction_of_max",
    "tiers",
]
WeightsMethod = Literal["equal", "manual", "ahp", "entropy", "critic", "pca"]
AggregateMethod = Literal["arithmetic", "geometric", "harmonic", "median", "copeland", "topsis"]


class Params(BaseModel):
    # .inf and .nan are no parameter value (T507)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ScreenParams(Params):
    """Drop units whose data availability over the framework's indicators is below a share."""

    min_coverage: Fraction = 0.0
    min_nonzero: Fraction | None = None


class ImputeParams(Params):
    method: ImputeMethod
    by: str | None = None
    both: bool = False
    max_gap: Annotated[int, Field(ge=1)] | None = None
    indicators: list[str] | None = None

    @model_validator(mode="after")
    def _needs_group(self) -> ImputeParams:
        if self.method in ("group_mean", "group_median") and not self.by:
            raise ValueError(f"method {self.method} needs `by: <attribute>` (e.g. region)")
        return self


class TreatParams(Params):
    method: TreatMethod = "winsorise"
    winmax: Annotated[int, Field(ge=0)] = 5
    skew: Annotated[float, Field(gt=0)] = 2.0
    kurtosis: Annotated[float, Field(gt=0)] = 3.5
    fallback: Literal["log", "none"] = "log"
    percentiles: tuple[Annotated[float, Field(ge=0, le=100)], Annotated[float, Field(ge=0, le=100)]] = (
        2.5,
        97.5,
    )
    indicators: list[str] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TreatParams:
        if self.percentiles[0] >= self.percentiles[1]:
            raise ValueError("percentiles must be [low, high] with low < high")
        return self


class NormaliseParams(Params):
    method: NormaliseMethod = "goalposts"
    range: tuple[Scale, Scale] = (0.0, 100.0)
    mean: Scale = 0.0
    sd: Annotated[float, Field(gt=0, le=1e9)] = 1.0
    pooled: bool = False
    cap: bool = True
    scores: list[Scale] | None = None  # tiers: score of green, yellow, orange, red

    @model_validator(mode="after")
    def _check(self) -> NormaliseParams:
        if self.range[0] >= self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        if self.scores is not None and len(self.scores) != 4:
            raise ValueError("scores needs 4 values: green, yellow, orange, red")
        return self


AhpEntry = Union[float, str]  # "1/3" is accepted as a fraction


class WeightsParams(Params):
    method: WeightsMethod = "manual"
    matrices: dict[str, list[list[AhpEntry]]] | None = None  # ahp: node id → pairwise matrix
    nodes: list[str] | None = None  # nodes whose children get these weights (default: all)

    @model_validator(mode="after")
    def _ahp(self) -> WeightsParams:
        if self.method == "ahp" and not self.matrices:
            raise ValueError("method ahp needs `matrices: {node_id: [[1, 3], [1/3, 1]]}`")
        return self


class AggregateParams(Params):
    method: AggregateMethod = "arithmetic"
    min_coverage: Fraction = 0.0
    fill: Literal["mean", "group_mean"] | None = None
    by: str | None = None
    levels: dict[int, AggregateMethod] | None = None  # level (1 = just above indicators) → method
    nodes: dict[str, AggregateMethod] | None = None  # node id → method

    @model_validator(mode="after")
    def _needs_group(self) -> AggregateParams:
        if self.fill == "group_mean" and not self.by:
            raise ValueError("fill: group_mean needs `by: <attribute>`")
        return self


class RateParams(Params):
    """How a node's rating follows from its indicators' ratings (methods.md §8)."""

    nodes: Literal["mean_colour", "two_worst", "sdsn"] = "mean_colour"
    red_share: Fraction = 1 / 3
    min_coverage: Fraction = 0.5


#: Step name → parameter model. The order here is the canonical order of stages.
STEPS: dict[str, type[Params]] = {
    "screen": ScreenParams,
    "impute": ImputeParams,
    "treat": TreatParams,
    "normalise": NormaliseParams,
    "weights": WeightsParams,
    "aggregate": AggregateParams,
    "rate": RateParams,
}


def _one_key(name: str, params: type[Params]) -> type[BaseModel]:
    model = type(
        f"{name.capitalize()}Step",
        (BaseModel,),
        {
            "__annotations__": {name: params},
            "model_config": ConfigDict(extra="forbid", frozen=True),
        },
    )
    return model


#: For the JSON Schema: a step is one of these one-key mappings.
STEP_MODELS: dict[str, type[BaseModel]] = {name: _one_key(name, p) for name, p in STEPS.items()}

PipelineStep = Union[tuple(STEP_MODELS.values())]  # type: ignore[valid-type]


def step_name(step: BaseModel) -> str:
    """The step's name (its single key)."""
    return next(iter(type(step).model_fields))


def step_params(step: BaseModel) -> Params:
    return getattr(step, step_name(step))
