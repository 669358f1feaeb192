"""The workload: what the application does, and how it is observed.

The whole workload (``write_rate_per_s``, ``read_rate_per_s``) advances the
database log and sizes losses and cost, but is not simulated write by write: a
year at 100 writes/s would be three billion events. A few *observed clients*
(Jepsen's clients) issue real operations through DNS, the network and the nodes
and record every one; the checkers work on their history. Observed clients probe
densely (``probe_interval_s``) around fault injections, as a Jepsen nemesis
schedule would, and sparsely (``idle_interval_s``) in between, so long runs stay
cheap while every disruption is seen at full resolution.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from hadrsim.spec.types import Integer, Number


class WorkloadSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    write_rate_per_s: Number = Field(100.0, ge=0)
    read_rate_per_s: Number = Field(400.0, ge=0)
    client_regions: list[str] | None = Field(
        None, min_length=1, description="Regions of the observed clients; default: the first."
    )
    observed_clients: Integer = Field(4, ge=1, le=1000, description="Spread over client_regions.")
    observed_keys: Integer = Field(
        100, ge=1, le=1_000_000,  # bounded: every node keeps a state per key (spec/bounds.py)
        description="Keys the observed clients touch.")
    observed_write_fraction: Number = Field(0.5, ge=0, le=1)
    reads_from: Literal["reader", "writer"] = Field(
        "reader", description="Reader endpoint when the design has readable replicas."
    )
    probe_interval_s: Number = Field(0.5, gt=0)  # ASM: think time of a busy client
    idle_interval_s: Number | None = Field(
        None, gt=0, description="Think time away from faults; None = always probe densely."
    )
    observe_before_s: Number = Field(30.0, ge=0)
    observe_after_s: Number = Field(120.0, ge=0)
    op_timeout_s: Number = Field(2.0, gt=0)  # ASM: driver socket timeout
    retry_backoff_s: Number = Field(0.5, ge=0)  # ASM: pause before retrying a failed call
    dns_cache_s: Number | None = Field(
        None, ge=0, description="Client DNS cache; None honours the record TTL."
    )
    history: Literal["compressed", "per_op"] = Field(
        "compressed", description="compressed: a run of identical failures (every call to a "
        "dead or refusing node while nothing changes) costs no event per call, with the same "
        "records in law; per_op: one event per call (the equivalence tests' reference).",
    )
    app_failover_after: Integer | None = Field(
        None, ge=1, description="Application-level failover: after this many failures in a "
        "row the client switches to the next Region's endpoint itself (None: never).",
    )
    cancel_after_s: Number | None = Field(
        None, gt=0, description="The application cancels a write still unanswered after this "
        "long (a driver's query time-out sends a cancel request), then waits for the answer "
        "up to op_timeout_s. PostgreSQL answers a commit cancelled while it waits for its "
        "synchronous standby with success and a warning: the write is committed on the "
        "primary only, and lost if a standby is promoted (simulated for PostgreSQL-style "
        "synchronous replication: the Multi-AZ DB cluster, and every emulated design). "
        "None: never cancels.",
    )
    home_region_writes: bool = Field(
        False, description="Each item is written only from its home Region (reads still go "
        "to any key): the standard fix for last-writer-wins conflicts on a multi-active "
        "table, whose Regions then never write one item concurrently. Key k's home is the "
        "(k mod n)-th of the n distinct client_regions (home_region); a client writes only "
        "the keys homed in its own Region (write_keys). False: every client writes any key.",
    )

    @field_validator("cancel_after_s")
    @classmethod
    def _cancel_before_time_out(cls, value: float | None, info: ValidationInfo) -> float | None:
        time_out = info.data.get("op_timeout_s")  # declared before: validated already
        if value is not None and time_out is not None and value >= time_out:
            raise ValueError(f"must be shorter than op_timeout_s ({time_out:g}): a client "
                             "that gave up never cancels")
        return value

    @model_validator(mode="after")
    def _every_region_has_a_home_key(self) -> WorkloadSpec:
        regions = len(self.home_regions)
        if self.home_region_writes and self.observed_keys < regions:
            raise ValueError(f"home_region_writes: observed_keys ({self.observed_keys}) must be "
                             f"at least the number of client Regions ({regions}), so each "
                             "Region is home to a key")
        return self

    @property
    def home_regions(self) -> list[str]:
        """The distinct client Regions in order: key k's home is ``home_regions[k % n]``
        (empty while ``client_regions`` is unresolved: the study resolves it)."""
        return list(dict.fromkeys(self.client_regions or []))

    def home_region(self, key: int) -> str | None:
        """The Region that writes item ``key`` under ``home_region_writes`` (None while
        ``client_regions`` is unresolved)."""
        regions = self.home_regions
        return regions[key % len(regions)] if regions else None

    def write_keys(self, region: str) -> range:
        """The keys a client in ``region`` writes: every key, or with
        ``home_region_writes`` the keys homed there. A write draws ``u`` in [0, 1) and takes
        ``keys[int(u * len(keys))]``, which for every key is ``int(u * observed_keys)``, so
        the option off changes no draw and no record."""
        regions = self.home_regions
        if not self.home_region_writes or not regions:
            return range(self.observed_keys)  # unresolved: one client Region, home of all
        if region not in regions:
            raise ValueError(f"no client Region {region!r}; client_regions: {regions}")
        return range(regions.index(region), self.observed_keys, len(regions))

    @property
    def call_deadline_s(self) -> float:
        """How long after its invocation the client first acts on an unanswered call (a
        cancel or its time-out): where a steady layout must hand the call back."""
        if self.cancel_after_s is None:
            return self.op_timeout_s
        return min(self.cancel_after_s, self.op_timeout_s)

    @model_serializer(mode="wrap")
    def _omit_default_history(self, handler: Any) -> Any:
        """A workload with the default ``history`` (no ``cancel_after_s``, no
        ``home_region_writes``) dumps as it did before those fields existed, so results stores
        keyed by the study's JSON still recognise their study."""
        data = handler(self)
        if isinstance(data, dict):
            if self.history == "compressed":
                data.pop("history", None)
            if self.cancel_after_s is None:
                data.pop("cancel_after_s", None)
            if not self.home_region_writes:
                data.pop("home_region_writes", None)
        return data
