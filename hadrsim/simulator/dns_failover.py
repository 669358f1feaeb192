"""DNS failover: a health-checked record that answers primary, or secondary once it fails.

*Health checks.* Checkers in several Regions probe the primary every interval;
they do not coordinate: each declares it unhealthy after ``failure_threshold``
failed probes in a row (one :class:`~hadrsim.simulator.detector.FailureDetector`
per checker, each with its own random phase). *Voting.* The record is healthy
while more than ``healthy_fraction`` of the checkers say so (Route 53: more than
18%), so one checker cut off from the primary does not fail it over; an outage
seen from everywhere does. *Failover record.* The DNS answer is the primary while
the record is healthy, else the secondary (which, like a record without a health
check of its own, is assumed healthy). A change of the vote reaches the DNS
servers after a propagation delay; a newer change supersedes a pending one.
*TTL and client caching.* Clients keep the answer they resolved for the record's
TTL (or their own cache time, see :class:`~hadrsim.simulator.routing.Resolver`),
so they follow the change only when their cache expires. The answer may itself
be a name (the RDS writer endpoint, a CNAME with its own 5-s TTL): the record
only chooses *which* name; an in-Region failover behind that name reaches
clients after the inner TTL, not the record's.

Closed form, for a primary that fails at t = 0 and stays down (calibration.md §8,
S19: checkers do not coordinate, each needs ``threshold`` consecutive failures,
unhealthy when <= 18% report healthy)::

    detection     ~ (threshold - 1) x interval + u x interval + timeout
                    u = when > 82% of the reporting checkers have seen a first
                    failure: the ceil(0.82 N)-th of N uniform phases, mean
                    ~k/(N+1) (N = 1: 0.5, 8 checkers: ~0.78, many: ~0.82);
                    30 s x 3 -> 64-94 s, mean ~87 s; 10 s x 3 -> 24-34 s
    client outage ~ detection + propagation + TTL (+ the client's retry)

Choices where Route 53's documentation leaves the model open:

* A checker in a location that is down does not vote: Route 53 counts only the
  checkers it hears from, so the fraction is taken over the reporting checkers;
  when none reports the record keeps its last status. A checker whose Region
  comes back votes again with the verdict it had.
* A checker declares the primary healthy again ``failure_threshold`` passes after
  it was unhealthy (Route 53 applies the threshold both ways): the first pass
  (the detector's ``on_up``) plus ``threshold - 1`` intervals, unless it is
  declared down again before then. A single failed probe inside that window does
  not restart the count here (it would in Route 53); that only matters for a
  target that flaps faster than the threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from hadrsim.simulator.detector import FailureDetector
from hadrsim.simulator.routing import Answer, DnsName
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.world import World


Target = DnsName | Callable[[], "Node | None"]


def _node_of(target: Target) -> Node | None:
    return target.current() if isinstance(target, DnsName) else target()


class FailoverRecord(DnsName):
    """A primary/secondary failover record pair behind one DNS name.

    Usable wherever a :class:`~hadrsim.simulator.routing.Endpoint` is resolved.
    ``primary`` and ``secondary`` are what each record answers: a name (a CNAME,
    e.g. the RDS writer endpoint, which the client resolves with its own TTL) or
    a function giving a node; the checkers probe the node the primary leads to.
    """

    def __init__(
        self,
        world: World,
        net: Network,
        name: str,
        *,
        ttl_s: float,
        primary: Target,
        secondary: Target,
        checker_regions: list[str],
        interval_s: float,
        failure_threshold: int,
        timeout_s: float,
        healthy_fraction: float,
        propagation: Sampler | None,
    ):
        if not checker_regions:
            raise ValueError(f"{name}: a failover record needs at least one checker")
        if len(set(checker_regions)) != len(checker_regions):
            raise ValueError(f"{name}: checker locations repeat: {checker_regions}")
        for region in checker_regions:
            try:
                net.region_of(region)
            except KeyError:
                raise ValueError(f"{name}: unknown checker location {region!r}") from None
        self.world = world
        self.net = net
        self.name = name
        self.ttl_s = ttl_s
        self.primary = primary
        self.secondary = secondary
        self.healthy_fraction = healthy_fraction
        self.propagation = propagation
        self.vote_healthy = True  # what the checkers say now
        self.healthy = True  # what the DNS servers answer with (the vote, propagated)
        self.verdicts: dict[str, bool] = {}  # checker location -> says healthy
        self.checkers: dict[str, FailureDetector] = {}
        self._verdict_version: dict[str, int] = {}
        self._version = 0
        for region in checker_regions:
            self.verdicts[region] = True
            self._verdict_version[region] = 0
            self.checkers[region] = FailureDetector(
                world, net, f"route53/{name}/{region}",
                observer=partial(str, region),  # a checker stays where it is
                target=partial(_node_of, primary),
                on_down=partial(self._checker_down, region),
                on_up=partial(self._checker_up, region),
                interval_s=interval_s,
                failure_threshold=failure_threshold,
                timeout_s=timeout_s,
            )
        world.on_change(self._tally)

    def __repr__(self) -> str:
        status = "healthy" if self.healthy else "unhealthy"
        return f"FailoverRecord({self.name!r}, {status}, checkers={list(self.checkers)})"

    def resolve(self) -> Answer:
        """What an authoritative DNS answer gives right now (a node or a name)."""
        target = self.primary if self.healthy else self.secondary
        return target if isinstance(target, DnsName) else target()

    # --- checkers ----------------------------------------------------------------
    def _checker_down(self, region: str, _node: Node) -> None:
        self._verdict_version[region] += 1
        self._set_verdict(region, False)

    def _checker_up(self, region: str, _node: Node) -> None:
        self._verdict_version[region] += 1
        checker = self.checkers[region]
        passes_left = checker.threshold - 1
        if passes_left <= 0:
            self._set_verdict(region, True)
            return
        self.world.call_later(passes_left * checker.interval_s, self._confirm_up, region,
                              self._verdict_version[region])

    def _confirm_up(self, region: str, version: int) -> None:
        if version == self._verdict_version[region] and not self.checkers[region].down:
            self._set_verdict(region, True)

    def _set_verdict(self, region: str, healthy: bool) -> None:
        if self.verdicts[region] != healthy:
            self.verdicts[region] = healthy
            self._tally()

    # --- voting and propagation --------------------------------------------------
    def _tally(self) -> None:
        """Count the reporting checkers' votes; start propagating a new status."""
        reporting = [region for region in self.verdicts if self.net.is_up(region)]
        if not reporting:
            return  # nobody is heard from: keep the last status
        healthy = sum(1 for region in reporting if self.verdicts[region])
        vote = healthy / len(reporting) > self.healthy_fraction
        if vote == self.vote_healthy:
            return
        self.vote_healthy = vote
        target = _node_of(self.primary)
        self.world.event(Ev.DNS_HEALTH_CHANGED, target.name if target else None,
                         "healthy" if vote else "unhealthy")
        self._version += 1
        delay = self.propagation() if self.propagation is not None else 0.0
        if delay > 0:
            self.world.call_later(delay, self._propagated, self._version, vote)
        else:
            self._propagated(self._version, vote)

    def _propagated(self, version: int, healthy: bool) -> None:
        if version != self._version:
            return  # a newer status superseded this one
        before = self.resolve()
        self.world.touched()
        self.healthy = healthy
        after = self.resolve()
        if after is not before:
            node = after.current() if isinstance(after, DnsName) else after
            via = f" ({node.name if node else '-'})" if isinstance(after, DnsName) else ""
            self.world.event(Ev.ENDPOINT_UPDATED, node.name if node else None,
                             f"{self.name} -> {after.name if after else '-'}{via}")
