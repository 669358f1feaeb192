"""The bundled SecureCart orders database: generated, deterministic, any SQLAlchemy URL.

Four tables with foreign keys, as a small shop's order database: ``customers``,
``products``, ``orders`` and ``order_items``. Every value is drawn from one
``numpy.random.Generator`` built from the seed, so a (seed, orders) pair always gives the
same database, row for row. Money is in integer cents and timestamps are fixed offsets from
2025-01-01, so nothing depends on the clock or on a dialect's decimal arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
)

from hadrsim.dms.endpoints import MigrationError, open_engine, parse_url, shown

EPOCH = dt.datetime(2025, 1, 1)
YEAR_S = 365 * 86400
FIRST = ("Ada", "Ben", "Chen", "Dana", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Jia",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Yuki")
LAST = ("Abe", "Berg", "Costa", "Diaz", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jones",
        "Kim", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tan", "Weber")
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "JP", "IN", "BR", "NG", "AU")
PRODUCTS = ("Lock", "Camera", "Sensor", "Hub", "Doorbell", "Siren", "Keypad", "Light")
STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")

metadata = MetaData()
customers = Table(
    "customers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(80), nullable=False),
    Column("email", String(120), nullable=False, unique=True),
    Column("country", String(2), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
products = Table(
    "products", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(16), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
)
orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("total_cents", Integer, nullable=False),
)
order_items = Table(
    "order_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
)
TABLES = (customers, products, orders, order_items)


@dataclass(frozen=True, kw_only=True)
class SampleDatabase:
    url: str
    seed: int
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def sample_rows(orders_n: int = 1000, seed: int = 2026) -> dict[str, list[dict]]:
    """The rows of every table, deterministic in (orders_n, seed)."""
    rng = np.random.default_rng(seed)
    n_customers, n_products = max(1, orders_n // 4), min(200, max(8, orders_n // 20))

    first = rng.integers(len(FIRST), size=n_customers)
    last = rng.integers(len(LAST), size=n_customers)
    country = rng.integers(len(COUNTRIES), size=n_customers)
    joined = rng.integers(YEAR_S, size=n_customers)
    customer_rows = [
        {"id": i + 1, "name": f"{FIRST[first[i]]} {LAST[last[i]]}",
         "email": f"{FIRST[first[i]].lower()}.{LAST[last[i]].lower()}.{i + 1}@example.com",
         "country": COUNTRIES[country[i]],
         "created_at": EPOCH + dt.timedelta(seconds=int(joined[i]))}
        for i in range(n_customers)
    ]
    kind = rng.integers(len(PRODUCTS), size=n_products)
    price = rng.integers(499, 49_999, size=n_products)
    stock = rng.integers(0, 500, size=n_products)
    product_rows = [
        {"id": i + 1, "sku": f"SC-{i + 1:05d}", "name": f"SecureCart {PRODUCTS[kind[i]]} {i + 1}",
         "price_cents": int(price[i]), "stock": int(stock[i])}
        for i in range(n_products)
    ]

    buyer = rng.integers(n_customers, size=orders_n)
    status = rng.choice(len(STATUSES), size=orders_n, p=[0.1, 0.2, 0.2, 0.45, 0.05])
    placed = np.sort(rng.integers(YEAR_S, size=orders_n))
    lines = rng.integers(1, 5, size=orders_n)
    item_product = rng.integers(n_products, size=int(lines.sum()))
    item_quantity = rng.integers(1, 4, size=int(lines.sum()))
    order_rows, item_rows = [], []
    for i in range(orders_n):
        total = 0
        for _ in range(int(lines[i])):
            k = len(item_rows)
            product = product_rows[item_product[k]]
            item_rows.append({"id": k + 1, "order_id": i + 1, "product_id": product["id"],
                              "quantity": int(item_quantity[k]),
                              "unit_price_cents": product["price_cents"]})
            total += product["price_cents"] * int(item_quantity[k])
        order_rows.append({"id": i + 1, "customer_id": int(buyer[i]) + 1,
                           "status": STATUSES[status[i]],
                           "created_at": EPOCH + dt.timedelta(seconds=int(placed[i])),
                           "total_cents": total})
    return {"customers": customer_rows, "products": product_rows, "orders": order_rows,
            "order_items": item_rows}


def create_sample(path_or_url: str, *, orders_n: int = 1000, seed: int = 2026) -> SampleDatabase:
    """Create the four tables and fill them; refuses a database that already has them."""
    if orders_n < 1:
        raise ValueError("orders_n must be >= 1")
    url = parse_url(path_or_url, "database")
    engine = open_engine(url, "database")
    try:
        with engine.connect() as conn:
            clash = sorted(set(inspect(conn).get_table_names()) & {t.name for t in TABLES})
        if clash:
            raise MigrationError(f"database {shown(url)}: already has tables {clash}")
        rows = sample_rows(orders_n, seed)
        with engine.begin() as conn:
            metadata.create_all(conn)
            for table in TABLES:
                conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()
    return SampleDatabase(url=shown(url), seed=seed,
                          rows={name: len(r) for name, r in rows.items()})
