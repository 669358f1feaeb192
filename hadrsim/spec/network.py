"""Where things are: regions, AZs and the round-trip times between them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrsim.spec.types import Name, Number

# Calibrated inter-Region RTTs, calibration.md section 13 (ASM, source S40 cloudping).
KNOWN_REGION_RTT_MS: dict[frozenset[str], float] = {
    frozenset({"us-east-1", "us-east-2"}): 12.0,
    frozenset({"us-east-1", "us-west-2"}): 65.0,
    frozenset({"us-east-1", "eu-west-1"}): 70.0,
}


class RegionSpec(BaseModel):
    """A Region and its Availability Zones (names must be unique in the study)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: Name
    azs: list[Name] = Field(min_length=1)


class RegionLink(BaseModel):
    """Round-trip time between two Regions."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    a: str
    b: str
    rtt_ms: Number = Field(gt=0)


def _default_regions() -> list[RegionSpec]:
    return [
        RegionSpec(name="us-east-1", azs=["us-east-1a", "us-east-1b", "us-east-1c"]),
        RegionSpec(name="us-west-2", azs=["us-west-2a", "us-west-2b", "us-west-2c"]),
    ]


class NetworkSpec(BaseModel):
    """Locations and latencies. One-way delay = RTT / 2 times a lognormal jitter."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    regions: list[RegionSpec] = Field(default_factory=_default_regions, min_length=1)
    inter_az_rtt_ms: Number = Field(1.0, gt=0)  # calibration 13: 1 ms, 0.25-3.4 (S33, S34, S39)
    intra_az_rtt_ms: Number = Field(0.2, gt=0)  # ASM: same-AZ round trip, well under inter-AZ
    region_rtt_ms: list[RegionLink] = Field(default_factory=list)
    jitter_sigma: Number = Field(0.1, ge=0, le=2)  # ASM: lognormal sigma of per-message jitter

    @model_validator(mode="after")
    def _names_unique_and_links_known(self) -> NetworkSpec:
        seen: set[str] = set()
        for region in self.regions:
            for name in [region.name, *region.azs]:
                if name in seen:
                    raise ValueError(f"@regions: location name {name!r} is used twice")
                seen.add(name)
        regions = {r.name for r in self.regions}
        for link in self.region_rtt_ms:
            for end in (link.a, link.b):
                if end not in regions:
                    raise ValueError(
                        f"@region_rtt_ms: unknown region {end!r}; known: {sorted(regions)}"
                    )
        for pair in self._pairs():
            if self.rtt_between_regions_ms(*pair) is None:
                raise ValueError(
                    f"@region_rtt_ms: no round-trip time for {pair[0]} <-> {pair[1]}: add "
                    f"{{a: {pair[0]}, b: {pair[1]}, rtt_ms: ...}}"
                )
        return self

    def _pairs(self) -> list[tuple[str, str]]:
        names = [r.name for r in self.regions]
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]

    def rtt_between_regions_ms(self, a: str, b: str) -> float | None:
        """User-given RTT first, then the calibrated table; None when unknown."""
        for link in self.region_rtt_ms:
            if {link.a, link.b} == {a, b}:
                return link.rtt_ms
        return KNOWN_REGION_RTT_MS.get(frozenset({a, b}))

    def region_of(self, location: str) -> str | None:
        """The Region a Region or AZ name belongs to (None if unknown)."""
        for region in self.regions:
            if location == region.name or location in region.azs:
                return region.name
        return None

    def azs_of(self, region: str) -> list[str]:
        for r in self.regions:
            if r.name == region:
                return list(r.azs)
        raise KeyError(region)
