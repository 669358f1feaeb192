"""Split-brain seconds: two writable primaries of one dataset, from roles and faults."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import split_brain_seconds
from hadrsim.simulator.records import Fault, RoleChange

AZ1, AZ2, REGION = "use1-az1", "use1-az2", "us-east-1"


def role(time_s, node, name, dataset="db", az=AZ1):
    return RoleChange(time_s, node, name, 1, dataset, az)


def node_fault(kind, node, start_s, end_s=None, fault_id=1):
    return Fault(fault_id, kind, f"node:{node}", "Software", start_s, end_s, ())


def place_fault(scope, start_s, end_s, affected, fault_id=1):
    return Fault(fault_id, "outage", scope, "AZ", start_s, end_s, affected)


def test_clean_failover_has_no_split_brain():
    """The old primary steps down before (or when) the new one is promoted."""
    roles = [
        role(0.0, "a", "primary"),
        role(0.0, "b", "standby", az=AZ2),
        role(50.0, "a", "standby"),
        role(50.0, "b", "primary", az=AZ2),
    ]
    assert split_brain_seconds(roles, [], 100.0) == 0.0


def test_promotion_while_old_primary_still_writable_is_split_brain():
    """Both primaries writable from the promotion until the old one steps down."""
    roles = [
        role(0.0, "a", "primary"),
        role(40.0, "b", "primary", az=AZ2),
        role(55.0, "a", "standby"),
    ]
    assert split_brain_seconds(roles, [], 100.0) == 15.0


def test_old_primary_never_demoted_runs_to_horizon():
    """A primary with no later role change stays primary until the horizon."""
    roles = [role(0.0, "a", "primary"), role(60.0, "b", "primary", az=AZ2)]
    assert split_brain_seconds(roles, [], 100.0) == 40.0


def test_crashed_primary_is_not_writable():
    """A crash covers the old primary until it ends; only then do two brains exist."""
    roles = [role(0.0, "a", "primary"), role(30.0, "b", "primary", az=AZ2)]
    faults = [node_fault("instance_crash", "a", 20.0, 70.0)]
    assert split_brain_seconds(roles, faults, 100.0) == 30.0
    hang_forever = [node_fault("instance_hang", "a", 20.0)]
    assert split_brain_seconds(roles, hang_forever, 100.0) == 0.0


def test_storage_loss_is_permanent():
    """Storage loss ends nothing by itself, whatever end_s the record carries."""
    roles = [role(0.0, "a", "primary"), role(30.0, "b", "primary", az=AZ2)]
    faults = [node_fault("storage_loss", "a", 20.0, 25.0)]
    assert split_brain_seconds(roles, faults, 100.0) == 0.0


def test_other_node_faults_leave_the_primary_writable():
    """A replication break is not downtime: the primary still takes writes."""
    roles = [role(0.0, "a", "primary"), role(30.0, "b", "primary", az=AZ2)]
    faults = [Fault(1, "replication_break", "stream:a", "Software", 20.0, 90.0, ())]
    assert split_brain_seconds(roles, faults, 100.0) == 70.0


def test_az_and_region_outages_take_their_primaries_down():
    """An outage listing the primary's AZ covers it; one elsewhere does not."""
    roles = [role(0.0, "a", "primary"), role(30.0, "b", "primary", az=AZ2)]
    az_outage = [place_fault(f"az:{AZ1}", 10.0, 50.0, (AZ1,))]
    assert split_brain_seconds(roles, az_outage, 100.0) == 50.0
    region = [place_fault(f"region:{REGION}", 10.0, 80.0, (REGION, AZ1, AZ2))]
    assert split_brain_seconds(roles, region, 100.0) == 20.0
    elsewhere = [place_fault("az:usw2-az1", 10.0, 80.0, ("usw2-az1",))]
    assert split_brain_seconds(roles, elsewhere, 100.0) == 70.0


def test_multi_active_is_not_split_brain():
    """Role "active" is several writers by design."""
    roles = [role(0.0, "a", "active"), role(0.0, "b", "active", az=AZ2)]
    assert split_brain_seconds(roles, [], 100.0) == 0.0


def test_datasets_are_separate_and_summed():
    """Primaries of different datasets never clash; clashes of each dataset add up."""
    roles = [
        role(0.0, "a", "primary", dataset="orders"),
        role(0.0, "b", "primary", dataset="users"),
        role(80.0, "c", "primary", dataset="orders"),
        role(90.0, "d", "primary", dataset="users"),
    ]
    assert split_brain_seconds(roles, [], 100.0) == 30.0


def test_three_primaries_count_once():
    """Time with three writable primaries is counted once, not per pair."""
    roles = [role(0.0, "a", "primary"), role(50.0, "b", "primary"), role(60.0, "c", "primary")]
    assert split_brain_seconds(roles, [], 100.0) == 50.0


def test_roles_in_any_record_order():
    """Role changes are read in time order, whatever order they were recorded in."""
    roles = [role(55.0, "a", "standby"), role(40.0, "b", "primary"), role(0.0, "a", "primary")]
    assert split_brain_seconds(roles, [], 100.0) == 15.0


def _reference(roles, faults, horizon_s, step=0.5):
    """Sampling at mid-steps (the test grid is in whole seconds, so this is exact)."""
    total = 0.0
    t = step / 2
    while t < horizon_s:
        writable = {}
        for node in {r.node for r in roles}:
            mine = [r for r in roles if r.node == node and r.time_s <= t]
            if not mine:
                continue
            last = max(mine, key=lambda r: r.time_s)
            if last.role != "primary":
                continue
            down = any(
                f.start_s <= t
                and (f.kind == "storage_loss" or f.end_s is None or t < f.end_s)
                and (
                    (
                        f.scope == f"node:{node}"
                        and f.kind in ("instance_crash", "instance_hang", "storage_loss")
                    )
                    or last.az in f.affected_locations
                )
                for f in faults
            )
            if not down:
                writable.setdefault(last.dataset, set()).add(node)
        total += step * sum(1 for nodes in writable.values() if len(nodes) >= 2)
        t += step
    return total


role_changes = st.lists(
    st.builds(
        lambda t, node, name, dataset, az: RoleChange(float(t), node, name, 1, dataset, az),
        st.integers(0, 30),
        st.sampled_from("abc"),
        st.sampled_from(["primary", "primary", "standby", "active"]),
        st.sampled_from(["x", "y"]),
        st.sampled_from([AZ1, AZ2]),
    ),
    max_size=8,
    unique_by=lambda r: (r.time_s, r.node),
)
fault_records = st.lists(
    st.builds(
        lambda kind, target, start, length: Fault(
            1,
            kind,
            target[0],
            "AZ",
            float(start),
            None if length is None else float(start + length),
            target[1],
        ),
        st.sampled_from(["instance_crash", "instance_hang", "storage_loss", "outage"]),
        st.sampled_from([("node:a", ()), ("node:b", ()), (f"az:{AZ1}", (AZ1,))]),
        st.integers(0, 30),
        st.one_of(st.none(), st.integers(0, 10)),
    ),
    max_size=4,
)


@given(role_changes, fault_records)
def test_property_sweep_matches_sampling(roles, faults):
    """The interval sweep agrees with sampling the contract on a fine grid."""
    # One node keeps one AZ, as in a real run.
    roles = [r._replace(az=AZ1 if r.node == "a" else AZ2) for r in roles]
    got = split_brain_seconds(roles, faults, 30.0)
    assert got == pytest.approx(_reference(roles, faults, 30.0))
    assert 0.0 <= got <= 2 * 30.0
