"""Probability distributions as small validated specs.

A duration in a study file is either a plain number (a constant) or a mapping
with ``dist`` naming the family. Values are in the unit of the *field* that holds
the distribution (``promotion_s`` holds seconds, ``mttr_h`` hours). Lognormals
are given by their median and 99th percentile, the way published figures are
quoted ("typically 0.5 s, p99 10 s"), not by the hard-to-read sigma.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from hadrsim.spec.types import BOOLEAN_IS_NOT_A_NUMBER, Number

_Z99 = 2.3263478740408408  # standard normal 99th percentile


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Number = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Exponential(_Dist):
    """Memoryless: times between independent failures (MTTF), simple repairs."""

    dist: Literal["exponential"]
    mean_value: Number = Field(gt=0, alias="mean")

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, populate_by_name=True
    )

    @property
    def mean(self) -> float:
        return self.mean_value

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)


class LogNormal(_Dist):
    """Right-skewed delays (lag, human reaction, promotion) from median and p99."""

    dist: Literal["lognormal"]
    median: Number = Field(gt=0)
    p99: Number = Field(gt=0)

    @model_validator(mode="after")
    def _p99_above_median(self) -> LogNormal:
        if self.p99 < self.median:
            raise ValueError(f"p99 ({self.p99}) must be >= median ({self.median})")
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p99 / self.median) / _Z99

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.median * np.exp(self.sigma * rng.standard_normal(size))


class Uniform(_Dist):
    """Equally likely anywhere in [low, high] (e.g. where a backup window falls)."""

    dist: Literal["uniform"]
    low: Number = Field(ge=0)
    high: Number = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


_UNITS = {"_s": "seconds", "_ms": "milliseconds", "_min": "minutes", "_h": "hours"}
FAMILIES = "constant|exponential|lognormal|uniform"


def _number_is_constant(value: Any, info: ValidationInfo) -> Any:
    """A number is a constant; anything but a number or a mapping says what is allowed.

    Without this a word (``mttr_h: soon``) got pydantic's "a valid dictionary or
    object to extract fields from", which names neither numbers nor families.
    """
    if isinstance(value, (dict, _Dist)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    name = info.field_name or ""
    unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "")
    number = f"a number of {unit}" if unit else "a number"
    reason = f"{BOOLEAN_IS_NOT_A_NUMBER}; " if isinstance(value, bool) else ""
    raise ValueError(f"{reason}expected {number} or {{dist: {FAMILIES}, ...}} "
                     "(see `hadrsim schema`)")


Dist = Annotated[
    Constant | Exponential | LogNormal | Uniform,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
]
"""A distribution field: a number (constant) or ``{dist: ..., ...}``."""


def lognormal(median: float, p99: float) -> LogNormal:
    """Shorthand used by calibrated defaults."""
    return LogNormal(dist="lognormal", median=median, p99=p99)


def constant(value: float) -> Constant:
    return Constant(value=value)


def exponential(mean: float) -> Exponential:
    return Exponential(dist="exponential", mean=mean)


def uniform(low: float, high: float) -> Uniform:
    return Uniform(dist="uniform", low=low, high=high)
