"""Fixtures of the DMS lab tests: the bundled database, PostgreSQL schemas, a source writer.

PostgreSQL tests read the server's URL from ``HADRSIM_PG_URL`` (``.ci/run`` starts one and
sets it). Without it they skip locally, but fail when ``CI=true``: CI must test the real
path. Each test gets its own schemas (``search_path`` in the URL), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from hadrsim.dms import create_sample
from hadrsim.dms.writer import SourceWriter

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


@pytest.fixture
def source_writer():
    """``source_writer(url)``: a :class:`hadrsim.dms.writer.SourceWriter` on that source
    (not yet started)."""
    return SourceWriter
