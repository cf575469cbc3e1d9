"""API throughput: opening cases and citizens' status lookups, on SQLite and on PostgreSQL.

A real `feedback serve` process per store, driven by 8 concurrent HTTP clients. The baseline is the same
server's `/api/health` (routing, middleware and HTTP, no database), so each ratio says what the store and
the case service cost on top of the web stack.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.harness import Result, measure, report

CONCURRENCY = 8
COUNT = 400
POSTGRES_ADMIN = os.environ.get("FEEDBACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FEEDBACK = [sys.executable, "-m", "feedback"]


def main() -> None:
    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as folder:
        for store, url in (("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}"), ("PostgreSQL", None)):
            with _database(url) as database_url, _server(database_url, token) as base:
                baseline, results = asyncio.run(_run(base, token, store))
                report(f"API on {store} ({CONCURRENCY} concurrent clients, {COUNT} calls each)", baseline, results)


async def _run(base: str, token: str, store: str) -> tuple[Result, list[Result]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        references: list[str] = []

        async def health(_: int) -> None:
            (await client.get("/api/health")).raise_for_status()

        async def open_case(index: int) -> None:
            body = {
                "channel": "web_chat",
                "text": f"My daughter's EHCP annual review is three months late and nobody replies ({index}).",
                "contact": {"name": "Bench Parent", "email": f"parent{index % 50}@example.org"},
                "complainant_role": "parent_carer",
                "service": "sendar",
            }
            response = await client.post("/api/cases", json=body)
            response.raise_for_status()
            references.append(response.json()["reference"])

        async def status(index: int) -> None:
            reference = references[index % len(references)]
            response = await client.get(f"/api/status/{reference}", params={"email": "nobody-checks@example.org"})
            if response.status_code not in (404, 429):
                raise RuntimeError(response.text)

        await measure("warm-up", health, count=50, concurrency=CONCURRENCY)
        baseline = await measure("GET /api/health (baseline)", health, count=COUNT, concurrency=CONCURRENCY)
        opened = await measure(f"POST /api/cases ({store})", open_case, count=COUNT, concurrency=CONCURRENCY)
        looked = await measure(f"GET /api/status, miss ({store})", status, count=COUNT, concurrency=CONCURRENCY)
        return baseline, [opened, looked]


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"feedback_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _server(database_url: str, token: str) -> Iterator[str]:
    port = _free_port()
    env = dict(
        os.environ,
        FEEDBACK_DATABASE__URL=database_url,
        FEEDBACK_WEB__CHANNEL_TOKENS=f"[{token}]",
        # Every miss would otherwise hit the lookup limit after 10 calls; this measures the lookup itself.
        FEEDBACK_WEB__STATUS_LOOKUP_LIMIT__ATTEMPTS="10000",
    )
    subprocess.run([*FEEDBACK, "db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*FEEDBACK, "serve", "--api-only", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/health")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
