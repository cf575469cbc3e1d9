"""Chat turn latency over Rasa's REST channel: a plain turn, a turn that runs a custom action, and submit.

The stack is the one `feedback run` starts (feedback.assistant's commands): the API on SQLite, the
action server and the Rasa server with the model `make` trained. One client at a time, so each figure is
a person's wait for an answer, not a queue. The baseline is the same Rasa server's `/` (HTTP and Sanic,
no NLU, no policies), so each ratio says what understanding and deciding a turn costs on top.

- plain turn: "thank you" -> a response from the domain (NLU + policies, no action server);
- greeting: "hello" -> action_greet on the action server;
- submit: "Yes, send it" at the summary -> form validation and action_submit_feedback on the action
  server, which opens the case with POST /api/cases.

The target is a p95 under 150 ms for the plain turn.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.api import _free_port, _wait_for
from bench.harness import Result, measure
from feedback import assistant
from feedback.settings import load_settings

COUNT = int(os.environ.get("BENCH_BOT_COUNT", "300"))
SUBMITS = int(os.environ.get("BENCH_BOT_SUBMITS", "40"))
SENDERS = 30  # plain turns rotate over these, so no conversation grows without bound
PLAIN_P95_TARGET_MS = 150.0
FEEDBACK = [sys.executable, "-m", "feedback"]
TO_SUMMARY = (
    "The school bus was 40 minutes late again today and nobody answered the phone at the transport office",
    "A parent or carer", "Yes", "Yes, they know and agree", "school transport", "Yes, reply to me",
    "Bench Parent", "bench.parent@example.org", "skip",
)  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, _stack(Path(folder)) as rasa_url:
        asyncio.run(_run(rasa_url))


async def _run(rasa_url: str) -> None:
    async with httpx.AsyncClient(base_url=rasa_url, timeout=60) as client:

        async def turn(sender: str, message: str) -> list[dict[str, object]]:
            response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            response.raise_for_status()
            replies: list[dict[str, object]] = response.json()
            if not replies:
                raise RuntimeError(f"no answer to {message!r}")
            return replies

        async def status(_: int) -> None:
            (await client.get("/")).raise_for_status()

        plain_senders = [f"bench-plain-{n}" for n in range(SENDERS)]
        for sender in plain_senders:  # the session start is not what a person waits for on each turn
            await turn(sender, "hi")

        async def plain(index: int) -> None:
            await turn(plain_senders[index % SENDERS], "thank you")

        async def greeting(index: int) -> None:
            await turn(plain_senders[index % SENDERS], "hello")

        submit_senders = [f"bench-submit-{n}-{secrets.token_hex(3)}" for n in range(SUBMITS)]
        for sender in submit_senders:
            for message in TO_SUMMARY:
                replies = await turn(sender, message)
            if "Shall I send it?" not in str(replies[-1].get("text")):
                raise RuntimeError(f"the summary was not reached: {replies}")

        async def submit(index: int) -> None:
            replies = await turn(submit_senders[index], "Yes, send it")
            if "Your reference is" not in str(replies[0].get("text")):
                raise RuntimeError(f"no reference: {replies}")

        await measure("warm-up", status, count=50, concurrency=1)
        baseline = await measure("GET / on Rasa (baseline)", status, count=COUNT, concurrency=1)
        plain_result = await measure("plain turn (NLU + policies)", plain, count=COUNT, concurrency=1)
        greeting_result = await measure("greeting (+ action server)", greeting, count=COUNT, concurrency=1)
        submit_result = await measure("submit (+ action server + API)", submit, count=SUBMITS, concurrency=1)
    _report(baseline, [plain_result, greeting_result, submit_result])


def _report(baseline: Result, results: list[Result]) -> None:
    print("\nChat turns over Rasa's REST channel (one client; latency in ms)")
    print(f"{'':34} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'p50 ratio':>10}")
    base = baseline.percentile(0.5)
    for result in [baseline, *results]:
        print(
            f"{result.name:34} {result.count:6d} {result.percentile(0.5) * 1000:8.1f} "
            f"{result.percentile(0.95) * 1000:8.1f} {result.percentile(0.99) * 1000:8.1f} "
            f"{result.percentile(0.5) / base:10.1f}"
        )
    print(f"(ratio = p50 latency / that of {baseline.name})")
    plain_p95 = results[0].percentile(0.95) * 1000
    verdict = "met" if plain_p95 < PLAIN_P95_TARGET_MS else "NOT met"
    print(f"Plain turn p95 {plain_p95:.1f} ms: target < {PLAIN_P95_TARGET_MS:.0f} ms {verdict}")


@contextmanager
def _stack(folder: Path) -> Iterator[str]:
    """The API, the action server and Rasa, as `feedback run` starts them, on free ports."""
    token = secrets.token_urlsafe(32)
    api_port, rasa_port, action_port = _free_port(), _free_port(), _free_port()
    api_url, rasa_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{rasa_port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
    env.update(
        FEEDBACK_DATABASE__URL=f"sqlite:///{folder / 'bench.db'}",
        FEEDBACK_WEB__CHANNEL_TOKENS=f"[{token}]",
        FEEDBACK_WEB__PORT=str(api_port),
        FEEDBACK_WEB__PUBLIC_URL=api_url,
        FEEDBACK_BOT__PORT=str(rasa_port),
        FEEDBACK_BOT__PUBLIC_URL=rasa_url,
        FEEDBACK_BOT__ACTION_PORT=str(action_port),
    )
    settings = load_settings(environ=env)
    assistant.check_installed(settings.bot)
    subprocess.run([*FEEDBACK, "db", "upgrade"], env=env, check=True, capture_output=True)
    actions = assistant.action_server(settings, api_url=api_url, channel_token=token)
    rasa = assistant.rasa_server(settings, runtime_dir=folder)
    with ExitStack() as stack:
        for argv, extra, cwd in (
            ([*FEEDBACK, "serve", "--api-only"], {}, None),
            (actions.argv, actions.env, actions.cwd),
            (rasa.argv, rasa.env, rasa.cwd),
        ):
            stack.enter_context(_process(argv, {**env, **extra}, cwd))
        _wait_for(f"{api_url}/api/health")
        _wait_for(actions.ready_url, seconds=240)
        _wait_for(rasa.ready_url, seconds=240)
        yield rasa_url


@contextmanager
def _process(argv: list[str], env: dict[str, str], cwd: Path | None) -> Iterator[None]:
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
