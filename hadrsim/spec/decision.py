"""How a study decides: the confidence rule and which designs are candidates.

``decision`` holds the knobs of the sequential rule (see
:mod:`hadrsim.experiments.decision`); its defaults equal the rule hadrsim used
with a fixed number of runs: "P(met) >= 95%", proven by a lower bound at 97.5%
one-sided confidence (the lower end of a two-sided 95% interval).

``constraints`` says what a user would actually consider: a design that breaks
one is still simulated and shown, marked "not a candidate: <constraint>", and
never recommended (SecureCart is a PostgreSQL order database: a DynamoDB design
would be a data-model rewrite).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ENGINES", "ConstraintsSpec", "DecisionSpec"]

# what each design kind runs: RDS and Aurora here are PostgreSQL (plan_rds's engine)
ENGINES = ("postgresql", "dynamodb")


class DecisionSpec(BaseModel):
    """The sequential decision rule per (design, disruption class)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    p_target: float = Field(0.95, gt=0, lt=1, description=(
        "A class is met when P(episode meets its RTO and RPO) >= this."))
    confidence: float = Field(0.975, ge=0.5, lt=1, description=(
        "One-sided confidence of each (design, class) verdict, valid under repeated looks."))
    max_runs: int = Field(400, ge=1, le=100_000, strict=True, description=(
        "Cap on runs per design: a verdict still open there is reported as undecided."))
    batch: int = Field(10, ge=1, le=10_000, strict=True, description=(
        "Run indices added per look (the rule stays valid for any batch size)."))


class ConstraintsSpec(BaseModel):
    """What a recommendable design must satisfy; violators are shown, never recommended."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    engine: list[str] | str | None = Field(None, description=(
        f"Database engine(s) the application can use: {list(ENGINES)}."))
    max_cost_month_usd: float | None = Field(None, gt=0, description=(
        "Budget: designs costing more per month are not candidates."))

    def engines(self) -> list[str] | None:
        if self.engine is None:
            return None
        return [self.engine] if isinstance(self.engine, str) else list(self.engine)
