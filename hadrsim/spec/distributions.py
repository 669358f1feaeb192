"""Probability distributions as small validated specs.

A duration in a study file is either a plain number (a constant) or a mapping
with ``dist`` naming the family. Values are in the unit of the *field* that holds
the distribution (``promotion_s`` holds seconds, ``mttr_h`` hours). Lognormals
are given by their median and 99th percentile, the way published figures are
quoted ("typically 0.5 s, p99 10 s"), not by the hard-to-read sigma. Weibull and
gamma take a shape and either a scale or the mean (the MTTF a vendor quotes);
``empirical`` resamples measured values.

Every family has ``mean``, ``draw(rng, size)``, ``ppf(q)`` (quantiles) and
``scaled(factor)`` (the same family with every value times ``factor``: hours to
seconds). scipy is imported only when a family needs it, never at module import.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

import numpy as np
from numpy.typing import ArrayLike
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    model_validator,
)

from hadrsim.spec.types import BOOLEAN_IS_NOT_A_NUMBER, Number

_Z99 = 2.3263478740408408  # standard normal 99th percentile


def _refuse_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(BOOLEAN_IS_NOT_A_NUMBER)
    return value


# the bound before the validator, so the JSON schema says "minimum" (Number's order would not)
_NonNegative = Annotated[float, Field(ge=0), BeforeValidator(_refuse_bool)]


def libm_each(fn: Callable[[float], float], values: ArrayLike) -> np.ndarray:
    """``fn`` (a :mod:`math` function) of every value, as the C library computes it.

    numpy's own ``exp``, ``log1p`` and ``**`` on float arrays take SIMD paths on AVX-512
    machines (SVML) whose last bits differ from the C library's, which numpy uses on
    other machines: a seeded draw would then depend on the machine it ran on (found when
    run 0's pinned history hashes moved on an AVX-512 machine). The C library's answer
    is the same everywhere, and is what the pinned histories were recorded with.
    """
    array = np.asarray(values, dtype=float)
    flat = np.fromiter(map(fn, array.ravel().tolist()), float, array.size)
    return flat.reshape(array.shape)


def _tail_log(q: float) -> float:
    """-log(1 - q): the exponential quantile of ``q`` at rate 1 (infinite at q = 1)."""
    return math.inf if q >= 1.0 else -math.log1p(-q)


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # the fields holding values in the field's unit (scaled() multiplies them)
    _scale_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _ppf(self, q: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def ppf(self, q: ArrayLike) -> Any:
        """The ``q`` quantile(s), ``q`` in [0, 1]: a float for a number, an array for an array."""
        levels = np.asarray(q, dtype=float)
        if np.any((levels < 0) | (levels > 1)):
            raise ValueError(f"quantile levels must lie in [0, 1], not {q!r}")
        out = np.asarray(self._ppf(levels), dtype=float)
        return float(out) if out.ndim == 0 else out

    def scaled(self, factor: float) -> Self:
        """The same family with every value times ``factor`` (hours -> seconds: 3600)."""
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"scale factor must be a finite number > 0, not {factor!r}")
        data = self.model_dump()
        for name in self._scale_fields:
            value = data[name]
            if isinstance(value, tuple):
                data[name] = tuple(v * factor for v in value)
            elif value is not None:
                data[name] = value * factor
        return type(self).model_validate(data)


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Number = Field(ge=0)
    _scale_fields = ("value",)

    @property
    def mean(self) -> float:
        return self.value

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return np.full(q.shape, self.value)


class Exponential(_Dist):
    """Memoryless: times between independent failures (MTTF), simple repairs."""

    dist: Literal["exponential"]
    mean_value: Number = Field(gt=0, alias="mean")
    _scale_fields = ("mean_value",)

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, populate_by_name=True
    )

    @property
    def mean(self) -> float:
        return self.mean_value

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return self.mean_value * libm_each(_tail_log, q)


class LogNormal(_Dist):
    """Right-skewed delays (lag, human reaction, promotion) from median and p99."""

    dist: Literal["lognormal"]
    median: Number = Field(gt=0)
    p99: Number = Field(gt=0)
    _scale_fields = ("median", "p99")

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
        return self.median * libm_each(math.exp, self.sigma * rng.standard_normal(size))

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        from statistics import NormalDist  # the standard library: no scipy import

        inverse = np.vectorize(NormalDist().inv_cdf, otypes=[float])
        z = np.where((q > 0) & (q < 1), inverse(np.clip(q, 1e-300, 1 - 1e-16)),
                     np.where(q <= 0, -np.inf, np.inf))
        return self.median * libm_each(math.exp, self.sigma * z)


class Uniform(_Dist):
    """Equally likely anywhere in [low, high] (e.g. where a backup window falls)."""

    dist: Literal["uniform"]
    low: Number = Field(ge=0)
    high: Number = Field(ge=0)
    _scale_fields = ("low", "high")

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

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return self.low + q * (self.high - self.low)


class _ShapeScale(_Dist):
    """A shape plus either ``scale`` or ``mean`` (exactly one): the mean is what a
    vendor quotes as MTTF, the scale what reliability tools fit."""

    if TYPE_CHECKING:  # declared by each family, so that ``dist`` comes first
        shape: float
        scale: float | None
        mean_value: float | None
    _scale_fields = ("scale", "mean_value")

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, populate_by_name=True
    )

    @model_validator(mode="after")
    def _scale_or_mean(self) -> Self:
        if (self.scale is None) == (self.mean_value is None):
            given = "both" if self.scale is not None else "neither"
            raise ValueError(f"@scale: give exactly one of scale or mean ({given} given)")
        try:
            finite = math.isfinite(self.mean) and math.isfinite(self.theta)
        except OverflowError:
            finite = False
        if not finite:
            raise ValueError(f"@shape: value {self.shape:g} is too small: the "
                             f"{self.dist} law's {'mean' if self.scale else 'scale'} overflows")
        return self

    @property
    def _mean_per_scale(self) -> float:  # pragma: no cover - overridden
        """The family's mean when its scale is 1 (the mean is this times the scale)."""
        raise NotImplementedError

    @property
    def theta(self) -> float:
        """The scale parameter, given or derived from the mean."""
        if self.scale is not None:
            return self.scale
        return self.mean_value / self._mean_per_scale  # type: ignore[operator]

    @property
    def mean(self) -> float:
        if self.mean_value is not None:
            return self.mean_value
        return self.theta * self._mean_per_scale


class Weibull(_ShapeScale):
    """Ageing (shape > 1) or infant mortality (shape < 1) times to failure.

    ``shape`` is beta, ``scale`` eta (the 63.2nd percentile), as reliability tools
    write them; ``mean`` instead of ``scale`` gives eta = mean / Gamma(1 + 1/beta).
    Shape 1 is the exponential.
    """

    dist: Literal["weibull"]
    shape: Number = Field(gt=0, description="beta: < 1 infant mortality, > 1 wear-out.")
    scale: Number | None = Field(None, gt=0, description="eta, in the field's unit.")
    mean_value: Number | None = Field(None, gt=0, alias="mean",
                                      description="Instead of scale: the mean (MTTF).")

    @property
    def _mean_per_scale(self) -> float:
        return math.gamma(1 + 1 / self.shape)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # numpy's own sampler: the same law as scipy.stats.weibull_min, without the
        # ~1 s import of scipy.stats in a command that only draws
        return self.theta * rng.weibull(self.shape, size)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        power = 1 / self.shape
        return self.theta * libm_each(lambda level: _tail_log(level) ** power, q)


class Gamma(_ShapeScale):
    """A sum of ``shape`` exponential stages (shape k, scale theta, mean k*theta).

    Shape 1 is the exponential; larger shapes are less variable (CV = 1/sqrt(k)).
    """

    dist: Literal["gamma"]
    shape: Number = Field(gt=0, description="k: coefficient of variation 1/sqrt(k).")
    scale: Number | None = Field(None, gt=0, description="theta, in the field's unit.")
    mean_value: Number | None = Field(None, gt=0, alias="mean",
                                      description="Instead of scale: the mean, k * theta.")

    @property
    def _mean_per_scale(self) -> float:
        return self.shape

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.theta, size)  # numpy's sampler: no scipy import

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        from scipy.stats import gamma

        return gamma.ppf(q, self.shape, scale=self.theta)


class Empirical(_Dist):
    """Measured values (repair times from a ticket log, say), used as they are.

    A draw picks one of ``values`` uniformly at random, with replacement (a
    bootstrap): nothing outside the measured values is ever drawn, so give enough
    of them to cover the tail. The mean is the values' mean; quantiles are those of
    the values' step CDF (``np.quantile(..., method="inverted_cdf")``).
    """

    dist: Literal["empirical"]
    values: tuple[_NonNegative, ...] = Field(
        min_length=1, description="Measured values, in the field's unit; each >= 0.")
    _scale_fields = ("values",)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), size)]

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return np.quantile(np.asarray(self.values, dtype=float), q, method="inverted_cdf")


Distribution = _Dist
"""The base of every family, for type hints (``mean``, ``draw``, ``ppf``, ``scaled``)."""

_UNITS = {"_s": "seconds", "_ms": "milliseconds", "_min": "minutes", "_h": "hours"}
_CLASSES: tuple[type[_Dist], ...] = (Constant, Exponential, LogNormal, Uniform, Weibull,
                                     Gamma, Empirical)
FAMILY_NAMES: tuple[str, ...] = tuple(c.model_fields["dist"].annotation.__args__[0]
                                      for c in _CLASSES)
"""The ``dist`` tags, in the order the README lists them."""
FAMILIES = "|".join(FAMILY_NAMES)


def _unit_of(info: ValidationInfo) -> str:
    name = info.field_name or ""
    unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "")
    return f"a number of {unit}" if unit else "a number"


def _number_is_constant(value: Any, info: ValidationInfo) -> Any:
    """A number is a constant; anything but a number or a mapping says what is allowed.

    Without this a word (``mttr_h: soon``) got pydantic's "a valid dictionary or
    object to extract fields from", which names neither numbers nor families.
    """
    if isinstance(value, (dict, _Dist)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    reason = f"{BOOLEAN_IS_NOT_A_NUMBER}; " if isinstance(value, bool) else ""
    raise ValueError(f"{reason}expected {_unit_of(info)} or {{dist: {FAMILIES}, ...}} "
                     "(see `hadrsim schema`)")


Dist = Annotated[
    Constant | Exponential | LogNormal | Uniform | Weibull | Gamma | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
]
"""A distribution field: a number (constant) or ``{dist: ..., ...}``."""


def _number_or_dist(family: type[Exponential] | type[Constant], meaning: str) -> Any:
    """A field where a plain number stays a number, meaning ``{dist: family, ...}`` of it.

    That mapping is read back as the plain number, so both spellings run the same
    code (and draw the same values); any other family is kept as a law, whose
    mean must be > 0. ``meaning`` names what a number is, for the error message.
    """
    name = family.model_fields["dist"].annotation.__args__[0]
    key = "mean" if family is Exponential else "value"

    def unwrap(value: Any) -> Any:
        if isinstance(value, family):
            return value.mean
        if isinstance(value, dict) and value.get("dist") == name:
            extra = sorted(str(k) for k in set(value) - {"dist", key})
            if extra:
                raise ValueError(f"@{extra[0]}: unknown field for dist: {name} (it takes {key})")
            if key not in value:
                raise ValueError(f"@{key}: required field is missing")
            return value[key]
        return value

    def tag(value: Any) -> str | None:
        if isinstance(value, _Dist):
            return value.dist  # type: ignore[attr-defined]
        if isinstance(value, dict):
            given = value.get("dist")
            return given if isinstance(given, str) else None
        return name  # numbers, and strings such as "1e3" that YAML leaves unparsed

    number = Annotated[Number, Field(gt=0), BeforeValidator(
        unwrap, json_schema_input_type=Annotated[float, Field(gt=0)] | family)]
    members = [Annotated[number, Tag(name)]]
    members += [Annotated[c, Tag(c.model_fields["dist"].annotation.__args__[0])]
                for c in _CLASSES if c is not family]
    union = members[0]
    for member in members[1:]:
        union = union | member
    return Annotated[
        union,
        Discriminator(tag, custom_error_type="number_or_dist",
                      custom_error_message=f"expected {meaning} or "
                      f"{{dist: {FAMILIES}, ...}} (see `hadrsim schema`)"),
        AfterValidator(_positive_mean),
    ]


def _positive_mean(value: Any) -> Any:
    if isinstance(value, _Dist) and not value.mean > 0:
        raise ValueError(f"the mean must be > 0 (this {value.dist} law's mean is "  # type: ignore[attr-defined]
                         f"{value.mean:g})")
    return value


MeanOrDist = _number_or_dist(Exponential, "a number of hours (an exponential's mean)")
"""``mttf_h``: a number is the mean of an exponential; a mapping is any family."""
DurationOrDist = _number_or_dist(Constant, "a number of seconds")
"""``duration_s``: a number is a fixed duration; a mapping is any family."""


def lognormal(median: float, p99: float) -> LogNormal:
    """Shorthand used by calibrated defaults."""
    return LogNormal(dist="lognormal", median=median, p99=p99)


def constant(value: float) -> Constant:
    return Constant(value=value)


def exponential(mean: float) -> Exponential:
    return Exponential(dist="exponential", mean=mean)


def uniform(low: float, high: float) -> Uniform:
    return Uniform(dist="uniform", low=low, high=high)


def weibull(shape: float, *, scale: float | None = None, mean: float | None = None) -> Weibull:
    return Weibull(dist="weibull", shape=shape, scale=scale, mean=mean)


def gamma(shape: float, *, scale: float | None = None, mean: float | None = None) -> Gamma:
    return Gamma(dist="gamma", shape=shape, scale=scale, mean=mean)


def empirical(values: ArrayLike) -> Empirical:
    return Empirical(dist="empirical", values=tuple(np.asarray(values, dtype=float).ravel()))
