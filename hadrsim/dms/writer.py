"""The shop's application writing to the source while it is migrated.

A migration is judged as a failover is: by what the clients were told. ``SourceWriter`` is
a thread that writes to a SecureCart source (``sample.py``) as the shop's application would,
one transaction at a time: a new customer with an order and an order line, an order's
status changed, an order line deleted. It writes as fast as it can or at ``rate_per_s``
transactions a second, until it is told to stop, or the source rejects a write (the
cutover fence, ``cdc.FENCE_MESSAGE``), or the migration reaches its cleanup phase (by then
the application writes to the target: the fence is about to be removed, and a write to the
old source would never reach the target).

Every transaction whose commit returned is *acknowledged*, and the writer remembers the
state each row it touched must now have (its values, or gone). :meth:`missing_on` reads
those rows on another database and names the ones that do not have that state: "no
acknowledged write lost", checked on the target independently of the migration's own
validation.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, create_engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError

from hadrsim.dms.cdc import FENCE_MESSAGE
from hadrsim.dms.endpoints import parse_url
from hadrsim.dms.sample import customers, order_items, orders
from hadrsim.dms.validate import normalise

FIRST_NEW_CUSTOMER = 1_000_000  # the writer's customers, apart from the generated ones
_TABLES = {t.name: t for t in (customers, orders, order_items)}


@dataclass
class SourceWriter:
    """A thread writing to the SecureCart database at ``url`` (see the module docstring).

    ``on_phase`` is meant for :func:`hadrsim.dms.migrate`'s ``on_phase``: it counts the
    commits per migration phase and stops the writer at cleanup.
    """

    url: str
    seed: int = 5
    rate_per_s: float | None = None  # transactions a second; None: as fast as it can
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    cdc_started: threading.Event = field(default_factory=threading.Event, repr=False)
    inserted_customers: list[int] = field(default_factory=list, repr=False)
    statuses: dict[int, str] = field(default_factory=dict, repr=False)  # order -> last status
    deleted_items: list[int] = field(default_factory=list, repr=False)
    # (table, id) -> the acknowledged state of that row: its written values, or None (deleted)
    expected: dict[tuple[str, int], dict | None] = field(default_factory=dict, repr=False)
    commits: int = 0
    commits_during_cdc: int = 0
    commits_by_phase: Counter[str] = field(default_factory=Counter)
    fenced: bool = False  # the source rejected a write: the cutover fence
    error: BaseException | None = None
    phase: str = "before"
    _next: tuple[int, int, int] = field(default=(0, 0, 0), repr=False)
    _orders: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rate_per_s is not None and not self.rate_per_s > 0:
            raise ValueError(f"rate_per_s must be > 0 (or None), not {self.rate_per_s}")

    # --- running ----------------------------------------------------------------------
    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._run, daemon=True, name="source-writer")
        self._thread.start()
        return self._thread

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop writing and wait for the thread."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def __enter__(self) -> SourceWriter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def on_phase(self, phase: str) -> None:
        """Told each migration phase: count commits by phase; stop before cleanup."""
        with self._lock:  # not while a transaction is open: cleanup removes the fence
            self.phase = phase
            if phase == "cdc":
                self.cdc_started.set()
            if phase == "cleanup":
                self.stop.set()

    # --- the shop's transactions ---------------------------------------------------------
    def _new_order(self, conn: Connection) -> Callable[[], None]:
        customer, order, item = self._next
        rows = {
            "customers": {"id": customer, "name": "New Customer",
                          "email": f"new.{customer}@example.com", "country": "US",
                          "created_at": dt.datetime(2026, 1, 1)},
            "orders": {"id": order, "customer_id": customer, "status": "pending",
                       "created_at": dt.datetime(2026, 1, 2), "total_cents": 1999},
            "order_items": {"id": item, "order_id": order, "product_id": 1, "quantity": 1,
                            "unit_price_cents": 1999},
        }
        for name, row in rows.items():
            conn.execute(_TABLES[name].insert(), row)
        self._next = (customer + 1, order + 1, item + 1)

        def record() -> None:
            self.inserted_customers.append(customer)
            for name, row in rows.items():
                self.expected[(name, row["id"])] = dict(row)
        return record

    def _update_status(self, conn: Connection, rng: np.random.Generator) -> Callable[[], None]:
        order = int(rng.integers(1, self._orders + 1))
        status = f"s{self.commits}"
        if not conn.execute(update(orders).where(orders.c.id == order)
                            .values(status=status)).rowcount:
            return lambda: None

        def record() -> None:
            self.statuses[order] = status
            self.expected[("orders", order)] = {**(self.expected.get(("orders", order)) or {}),
                                                "status": status}
        return record

    def _delete_item(self, conn: Connection, rng: np.random.Generator) -> Callable[[], None]:
        item = int(rng.integers(1, self._next[2]))
        if not conn.execute(delete(order_items).where(order_items.c.id == item)).rowcount:
            return lambda: None

        def record() -> None:
            self.deleted_items.append(item)
            self.expected[("order_items", item)] = None
        return record

    def _run(self) -> None:
        rng = np.random.default_rng(self.seed)
        engine = create_engine(parse_url(self.url, "source"))
        try:
            with engine.connect() as conn:
                self._orders = conn.execute(select(func.max(orders.c.id))).scalar() or 0
                self._next = (
                    max(FIRST_NEW_CUSTOMER,
                        (conn.execute(select(func.max(customers.c.id))).scalar() or 0) + 1),
                    self._orders + 1,
                    (conn.execute(select(func.max(order_items.c.id))).scalar() or 0) + 1)
            due = time.perf_counter()
            while True:
                with self._lock:
                    if self.stop.is_set():
                        return
                    kind = rng.integers(3)
                    with engine.begin() as conn:
                        if kind == 0 or self._orders == 0:
                            record = self._new_order(conn)
                        elif kind == 1:
                            record = self._update_status(conn, rng)
                        else:
                            record = self._delete_item(conn, rng)
                    record()  # committed: acknowledged
                    self.commits += 1
                    self.commits_by_phase[self.phase] += 1
                    self.commits_during_cdc += self.cdc_started.is_set()
                if self.rate_per_s is None:
                    self.stop.wait(0.002)
                else:
                    due += 1.0 / self.rate_per_s
                    self.stop.wait(max(0.0, due - time.perf_counter()))
        except DBAPIError as exc:
            if FENCE_MESSAGE in str(exc):
                self.fenced = True
            else:
                self.error = exc
        except BaseException as exc:  # reported by the caller, not lost in the thread
            self.error = exc
        finally:
            engine.dispose()

    # --- checking ------------------------------------------------------------------------
    def missing_on(self, url: str) -> list[tuple[str, int]]:
        """The rows whose acknowledged state ``url`` does not have, as (table, id)."""
        by_table: dict[str, dict[int, dict | None]] = {}
        for (name, key), row in self.expected.items():
            by_table.setdefault(name, {})[key] = row
        missing: list[tuple[str, int]] = []
        engine = create_engine(parse_url(url, "target"))
        try:
            with engine.connect() as conn:
                for name, wanted in by_table.items():
                    table = _TABLES[name]
                    keys = list(wanted)
                    found: dict[int, dict] = {}
                    for start in range(0, len(keys), 500):
                        rows = conn.execute(select(table).where(
                            table.c.id.in_(keys[start:start + 500]))).mappings()
                        found.update({r["id"]: dict(r) for r in rows})
                    for key, row in wanted.items():
                        have = found.get(key)
                        if row is None:
                            ok = have is None
                        else:
                            ok = have is not None and all(
                                normalise(have[c]) == normalise(v) for c, v in row.items())
                        if not ok:
                            missing.append((name, key))
        finally:
            engine.dispose()
        return sorted(missing)


__all__ = ["SourceWriter"]
