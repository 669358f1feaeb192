"""The design-kind registry: the one place a kind of design (``kind:`` in a study) is found.

A *design kind* (``rds_multi_az_instance``, ``aurora_global``, ...) is registered once
with what the spec layer knows about it — its pydantic spec, its node inventory (the one
place node names and roles come from), how its locations are resolved against the
network, what it has for fault applicability (:class:`Traits`), its engine and its DR
tier. Later layers *extend* the same entry with their hooks, keyed by layer name:
``build`` (models: the simulator deployment), ``price`` (models: monthly cost lines),
``plan`` and ``fis`` (aws). No layer branches on kind with ``isinstance`` chains; it asks
:func:`kind_of` (or :func:`hook`).

Built-in kinds are registered by :mod:`hadrsim.spec.builtin_kinds` (spec parts) and by the
layer modules that own the other hooks, when they are imported. A third party adds a kind
through the ``hadrsim.kinds`` entry-point group: each entry point names a callable with no
arguments that calls :func:`register_kind` / :func:`extend_kind`; entry points are loaded
the first time the registry is read. The study schema's ``designs`` union is built from the
registered specs (:mod:`hadrsim.spec.study` rebuilds it when a kind is added).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, NamedTuple

__all__ = [
    "DesignKind",
    "dr_tier_of",
    "engine_of",
    "NodeSlot",
    "Traits",
    "extend_kind",
    "hook",
    "kind_names",
    "kind_of",
    "kinds",
    "on_register",
    "register_kind",
    "unregister_kind",
]

ENTRY_POINT_GROUP = "hadrsim.kinds"


class NodeSlot(NamedTuple):
    """One node a built design has: its name (fault target ``node:NAME``), its role, place.

    Roles: ``instance`` (an addressable DB instance that can be primary), ``hidden_standby``
    (a synchronous standby with no endpoint), ``writer``/``reader`` (cluster instances),
    ``storage`` (a storage copy), ``secondary`` (a global secondary cluster), ``replica``
    (a read replica), ``table`` (a Regional replica of a managed table), ``witness``.
    The first slot is the initial primary.
    """

    name: str
    role: str
    region: str | None
    az: str | None


@dataclass(frozen=True)
class Traits:
    """What a design has, read from its resolved spec, for fault applicability.

    Each ``no_*`` field is None when the design has the thing, else the reason people read
    ("no standby (a single instance)"); :mod:`hadrsim.spec.applicability` turns them into
    declines, so it never asks which kind a design is.
    """

    no_standby: str | None = "no standby (a single instance)"
    no_replica: str | None = "no replica"
    no_hosts: str | None = None  # instance_crash / instance_hang / storage_loss
    no_backup_job: str | None = None  # backup_failure
    no_replication_stream: str | None = None  # replication_break
    no_instance_to_delete: str | None = None  # operator_error delete_instance
    no_replica_to_promote: str | None = None  # operator_error promote_wrong_replica
    global_secondaries: tuple[str, ...] | None = None  # Regions; None: no global database


@dataclass
class DesignKind:
    """Everything hadrsim knows about one design kind, found by its ``kind:`` name."""

    name: str
    spec: type  # a frozen pydantic model with ``kind: Literal[name]``
    inventory: Callable[[Any], list[NodeSlot]]
    resolve_locations: Callable[[Any, Any, str], tuple[Any, list[str]]]
    traits: Callable[[Any], Traits]
    dr_tier: Callable[[Any], tuple[str | None, str]]
    engine: str = "postgresql"
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def node_names(self, design: Any) -> list[str]:
        return [slot.name for slot in self.inventory(design)]

    def hook(self, layer: str) -> Callable[..., Any]:
        """The ``layer`` hook (``build``, ``price``, ``plan``, ``fis``...) of this kind."""
        try:
            return self.hooks[layer]
        except KeyError:
            raise LookupError(f"design kind {self.name!r} has no {layer!r} hook; registered "
                              f"hooks: {sorted(self.hooks)}") from None


_KINDS: dict[str, DesignKind] = {}
_PENDING_HOOKS: dict[str, dict[str, Callable[..., Any]]] = {}
_LISTENERS: list[Callable[[], None]] = []
_loaded = False


def register_kind(kind: DesignKind) -> None:
    """Add a design kind (its spec-layer parts); later layers :func:`extend_kind` it."""
    known = _KINDS.get(kind.name)
    if known is not None and known.spec is not kind.spec:
        raise ValueError(f"design kind {kind.name!r} is already registered")
    if known is not None:  # registered again (a reload): keep the layers' hooks
        kind.hooks = {**known.hooks, **kind.hooks}
    kind.hooks.update(_PENDING_HOOKS.pop(kind.name, {}))
    _KINDS[kind.name] = kind
    for listener in _LISTENERS:
        listener()


def unregister_kind(name: str) -> None:
    """Remove a kind (a test's plug-in, when the test ends)."""
    _KINDS.pop(name, None)
    _PENDING_HOOKS.pop(name, None)
    for listener in _LISTENERS:
        listener()


def extend_kind(name: str, **hooks: Callable[..., Any]) -> None:
    """Attach layer hooks (``build=...``, ``price=...``) to kind ``name``.

    A layer may extend a kind before its spec part is registered (import order): the hooks
    wait and are attached when it is.
    """
    if name in _KINDS:
        _KINDS[name].hooks.update(hooks)
    else:
        _PENDING_HOOKS.setdefault(name, {}).update(hooks)


def on_register(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever a kind is added (the study schema rebuilds its union)."""
    _LISTENERS.append(listener)


def kinds() -> list[DesignKind]:
    """Every registered design kind, built-in first, in registration order."""
    _load()
    return list(_KINDS.values())


def kind_names() -> list[str]:
    return [kind.name for kind in kinds()]


def kind_of(design_or_name: Any) -> DesignKind:
    """The registered kind of a design spec (or of a ``kind:`` name)."""
    _load()
    name = design_or_name if isinstance(design_or_name, str) else design_or_name.kind
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no design kind {name!r}; registered: {sorted(_KINDS)}") from None


def hook(design: Any, layer: str) -> Callable[..., Any]:
    """Shorthand for ``kind_of(design).hook(layer)``."""
    return kind_of(design).hook(layer)


def _load() -> None:
    """Register the built-in kinds, then every ``hadrsim.kinds`` entry point, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from hadrsim.spec import builtin_kinds

    builtin_kinds.register()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()()
        except Exception as error:  # a broken plug-in names itself, not a traceback deep down
            raise RuntimeError(f"design-kind plug-in {entry.name!r} ({entry.value}) failed "
                               f"to register: {error}") from error


def dr_tier_of(design: Any) -> tuple[str | None, str]:
    """The design's DR tier and where it came from: ``(label, "label")`` when the study
    names it (``ha_architecture``), else the kind's inference from what the design copies
    to another Region (AWS's DR strategies: MultiSite, WarmStandby, PilotLight,
    BackupAndRestore), or ``(None, "single-Region")``."""
    if design.ha_architecture is not None:
        return design.ha_architecture, "label"
    return kind_of(design).dr_tier(design)


def engine_of(design: Any) -> str:
    """The database engine a design runs (``constraints.engine``), from its kind."""
    return kind_of(design).engine
