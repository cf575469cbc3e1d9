"""The served application: its OpenAPI schema, health check and access log, and the real server process."""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from api_support import CHANNEL_TOKEN, CITIZEN_EMAIL, OpenCase, case_body
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from feedback.cli import main

REPO = Path(__file__).resolve().parents[2]
FEEDBACK = Path(sys.executable).parent / "feedback"

EXPECTED_ROUTES = {
    ("/api/health", "get"),
    ("/api/cases", "post"),
    ("/api/cases", "get"),
    ("/api/status/{reference}", "get"),
    ("/api/procedures/{procedure}", "get"),
    ("/api/review-queue", "get"),
    ("/api/cases/{reference}", "get"),
    ("/api/cases/{reference}/acknowledge", "post"),
    ("/api/cases/{reference}/assign", "post"),
    ("/api/cases/{reference}/extend", "post"),
    ("/api/cases/{reference}/close", "post"),
    ("/api/cases/{reference}/reopen", "post"),
    ("/api/cases/{reference}/escalate", "post"),
    ("/api/cases/{reference}/procedure", "post"),
    ("/api/cases/{reference}/panel", "post"),
    ("/api/cases/{reference}/panel-report", "post"),
    ("/api/cases/{reference}/messages", "post"),
    ("/api/cases/{reference}/suggestions/{head}/review", "post"),
    ("/api/mail", "get"),
    ("/api/mail/{mail_id}/requeue", "post"),
}


def test_the_openapi_schema_lists_every_endpoint(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Council feedback intake"
    routes = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert routes == EXPECTED_ROUTES
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    case_in = schema["components"]["schemas"]["CaseIn"]
    assert case_in["additionalProperties"] is False
    assert {"channel", "text"} <= set(case_in["required"])
    assert client.get("/docs").status_code == 200


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_the_access_log_leaves_out_the_query_string(
    client: TestClient, open_case: OpenCase, caplog: pytest.LogCaptureFixture
) -> None:
    reference = open_case()["reference"]

    with caplog.at_level(logging.INFO, logger="feedback.access"):
        client.get(f"/api/status/{reference}", params={"email": CITIZEN_EMAIL})

    [line] = [record.getMessage() for record in caplog.records if record.name == "feedback.access"]
    assert line.startswith(f"GET /api/status/{reference} 200 ")
    assert "example.org" not in caplog.text
    assert "email" not in caplog.text


# --- the real server ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served_config(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of config.yml using a SQLite file beside it (a relative path, anchored to the copy), migrated."""
    if not FEEDBACK.exists():
        pytest.skip(f"the feedback command is not installed at {FEEDBACK}")
    config = yaml.safe_load((REPO / "config.yml").read_text())
    config["database"]["url"] = "sqlite:///var/served.db"
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config))
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
    env.update(
        FEEDBACK_CONFIG=str(path),
        FEEDBACK_WEB__CHANNEL_TOKENS=f"[{CHANNEL_TOKEN}]",
        FEEDBACK_SMTP__PORT=str(_free_port()),
        FEEDBACK_MAIL__RELAY__PORT=str(_free_port()),  # nothing listens: acknowledgements wait in the outbox
    )
    # `feedback db upgrade`, in-process (a second interpreter start-up would double the test's time).
    unset: dict[str, str | None] = {key: None for key in os.environ if key.startswith("FEEDBACK_")}
    upgrade = CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"], env=unset)
    assert upgrade.exit_code == 0, upgrade.output
    assert (tmp_path / "var" / "served.db").exists()
    yield path, env


def test_the_server_runs_and_answers_over_http(served_config: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """`feedback serve` as a real process (SQLite only: the point is the process, not the database)."""
    _config, env = served_config
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(FEEDBACK), "serve", "--port", str(port)],
        env=env,
        cwd=REPO,  # elsewhere than the config: the database path must still resolve beside the config
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"the server exited: {server.communicate()[0]}"
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /api/health within 30 s"
            time.sleep(0.1)

        with httpx.Client(base_url=base, timeout=10) as http:
            created = http.post("/api/cases", json=case_body(), headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})
            assert created.status_code == 201, created.text
            reference = created.json()["reference"]
            status = http.get(f"/api/status/{reference}", params={"email": CITIZEN_EMAIL})
            assert status.status_code == 200
            assert status.json()["reference"] == reference
            assert http.post("/api/cases", json=case_body()).status_code == 401

        # The same process listens for email, and its worker makes a case of it.
        with smtplib.SMTP("127.0.0.1", int(env["FEEDBACK_SMTP__PORT"]), timeout=10) as client:
            client.sendmail(
                "jo@example.org", ["feedback@council.example"], b"From: jo@example.org\r\nSubject: Bus\r\n\r\nLate.\r\n"
            )
        engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'served.db'}")
        deadline = time.monotonic() + 20
        while True:
            with engine.connect() as connection:
                if connection.execute(text("select count(*) from cases where channel = 'email'")).scalar() == 1:
                    break
            assert time.monotonic() < deadline, "the emailed case was not made within 20 s"
            time.sleep(0.2)
        engine.dispose()
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()

    # Uvicorn shuts down cleanly on SIGTERM, then re-raises the signal so the exit status tells of it.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
    assert "POST /api/cases 201" in output
    assert f"GET /api/status/{reference} 200" in output
    assert CITIZEN_EMAIL not in output  # the access log leaves the query string out
    assert (tmp_path / "var" / "served.db").stat().st_size > 0
