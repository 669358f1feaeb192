"""Fixtures of the DMS lab tests: the bundled database, PostgreSQL schemas, a source writer.

PostgreSQL tests read the server's URL from ``HADRSIM_PG_URL`` (``.ci/run`` starts one and
sets it). Without it they skip locally, but fail when ``CI=true``: CI must test the real
path. Each test gets its own schemas (``search_path`` in the URL), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from hadrsim.dms import create_sample
from hadrsim.dms.cdc import FENCE_MESSAGE
from hadrsim.dms.sample import customers, order_items, orders

SAMPLE_ORDERS = 1000


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("HADRSIM_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but HADRSIM_PG_URL is unset: .ci/run must start PostgreSQL")
        pytest.skip("HADRSIM_PG_URL is unset: no PostgreSQL to test against "
                    "(.ci/run starts one and sets it)")
    return url


@pytest.fixture
def pg_schemas(pg_url):
    """``make(name)``: a URL whose default schema is a fresh, empty schema."""
    engine = create_engine(pg_url)
    made: list[str] = []

    def make(name: str) -> str:
        schema = f"hadrsim_test_{uuid.uuid4().hex[:8]}_{name}"
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    with engine.begin() as conn:
        for schema in made:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def sqlite_source(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    create_sample(url, orders_n=SAMPLE_ORDERS, seed=2026)
    return url


@dataclass
class SourceWriter:
    """A thread writing to the source like the shop would: new customers with orders,
    order status updates, deleted order lines. Stops when told, or when the source
    rejects writes (cutover). Records what it committed and when."""

    url: str
    seed: int = 5
    stop: threading.Event = field(default_factory=threading.Event)
    cdc_started: threading.Event = field(default_factory=threading.Event)
    inserted_customers: list[int] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)
    deleted_items: list[int] = field(default_factory=list)
    commits: int = 0
    commits_during_cdc: int = 0
    fenced: bool = False
    error: BaseException | None = None
    _next: tuple[int, int, int] = (0, 0, 0)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def on_phase(self, phase: str) -> None:
        if phase == "cdc":
            self.cdc_started.set()

    def _new_order(self, conn) -> Callable[[], None]:
        customer, order, item = self._next
        conn.execute(customers.insert(), {
            "id": customer, "name": "New Customer", "email": f"new.{customer}@example.com",
            "country": "US", "created_at": dt.datetime(2026, 1, 1)})
        conn.execute(orders.insert(), {
            "id": order, "customer_id": customer, "status": "pending",
            "created_at": dt.datetime(2026, 1, 2), "total_cents": 1999})
        conn.execute(order_items.insert(), {
            "id": item, "order_id": order, "product_id": 1, "quantity": 1,
            "unit_price_cents": 1999})
        self._next = (customer + 1, order + 1, item + 1)
        return lambda: self.inserted_customers.append(customer)

    def _update_status(self, conn, rng) -> Callable[[], None]:
        order = int(rng.integers(1, SAMPLE_ORDERS + 1))
        status = f"s{self.commits}"
        conn.execute(update(orders).where(orders.c.id == order).values(status=status))
        return lambda: self.statuses.__setitem__(order, status)

    def _delete_item(self, conn, rng) -> Callable[[], None]:
        item = int(rng.integers(1, self._next[2]))
        if conn.execute(delete(order_items).where(order_items.c.id == item)).rowcount:
            return lambda: self.deleted_items.append(item)
        return lambda: None

    def _run(self) -> None:
        rng = np.random.default_rng(self.seed)
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                self._next = (1_000_000,
                              conn.execute(select(func.max(orders.c.id))).scalar() + 1,
                              conn.execute(select(func.max(order_items.c.id))).scalar() + 1)
            while not self.stop.is_set():
                kind = rng.integers(3)
                with engine.begin() as conn:
                    if kind == 0:
                        record = self._new_order(conn)
                    elif kind == 1:
                        record = self._update_status(conn, rng)
                    else:
                        record = self._delete_item(conn, rng)
                record()
                self.commits += 1
                self.commits_during_cdc += self.cdc_started.is_set()
                self.stop.wait(0.002)
        except DBAPIError as exc:
            if FENCE_MESSAGE in str(exc):
                self.fenced = True
            else:
                self.error = exc
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            engine.dispose()


@pytest.fixture
def source_writer():
    """``source_writer(url)``: a ``SourceWriter`` on that source (not yet started)."""
    return SourceWriter
