"""`feedback run` (what `make run` starts): every part up, the chat URL printed, a chat answered and kept in
Rasa's SQL tracker store, Ctrl-C stops all.

The whole stack on free ports from a temporary config.yml: mail sink, API + email channel, the assistant's
action server and the Rasa server. Slow (Rasa loads TensorFlow and the model), so it is one test.
"""

from __future__ import annotations

import queue
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import yaml
from bot_support import FEEDBACK, REPO, environment, free_port

STARTUP_SECONDS = 300


def _config(folder: Path) -> tuple[Path, dict[str, int]]:
    ports = {name: free_port() for name in ("web", "smtp", "relay", "rasa", "actions")}
    config = yaml.safe_load((REPO / "config.yml").read_text())
    config["database"]["url"] = "sqlite:///var/feedback.db"
    config["web"].update(port=ports["web"], public_url=f"http://127.0.0.1:{ports['web']}")
    config["smtp"]["port"] = ports["smtp"]
    config["mail"]["relay"]["port"] = ports["relay"]
    config["bot"].update(
        port=ports["rasa"],
        public_url=f"http://127.0.0.1:{ports['rasa']}",
        action_port=ports["actions"],
        model=str(REPO / "bot" / "models" / "feedback.tar.gz"),
        tracker_store="sqlite:///var/conversations.db",
    )
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config))
    return path, ports


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_feedback_run_starts_the_assistant_prints_the_chat_url_and_stops_everything(tmp_path: Path) -> None:
    config, ports = _config(tmp_path)
    env = environment()
    subprocess.run([*FEEDBACK, "--config", str(config), "db", "upgrade"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*FEEDBACK, "--config", str(config), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines, seen = _lines(process), []
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not any("Press Ctrl-C to stop." in line for line in seen):
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(seen[-40:])
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        chat_url = f"http://127.0.0.1:{ports['web']}/chat"
        assert f"  Chat with the assistant: {chat_url}" in seen
        page = httpx.get(chat_url, timeout=10)
        webhook = f"http://127.0.0.1:{ports['rasa']}/webhooks/rest/webhook"
        assert page.status_code == 200 and webhook in page.text
        answer = httpx.post(webhook, json={"sender": "run-test", "message": "hello"}, timeout=60).json()
        assert "feedback assistant" in answer[0]["text"]
        # Conversations are in Rasa's SQL tracker store, beside the config, not only in Rasa's memory.
        with sqlite3.connect(tmp_path / "var" / "conversations.db") as store:
            stored = store.execute("SELECT count(*) FROM events WHERE sender_id = 'run-test'").fetchone()[0]
        assert stored > 0
        assert (tmp_path / "var" / "bot-endpoints.yml").stat().st_mode & 0o077 == 0
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)
    time.sleep(0.5)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert returncode == 0 and "Stopped." in rest, "\n".join(rest[-20:])
    assert all(_closed(port) for port in ports.values())
