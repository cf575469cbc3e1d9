"""One real stack for the whole session: the API, the assistant's action server and the Rasa server.

Starting Rasa costs about 20 seconds (TensorFlow and the model), so the stack is shared; every test has
its own conversation (a fresh sender id) and asserts on what the store holds afterwards. The store is a
SQLite file: the API and store suites run every case rule on PostgreSQL as well.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator

import pytest
from bot_support import FEEDBACK, ApiServer, Stack, environment, free_port, running, wait_until_answers

from feedback import assistant
from feedback.settings import load_settings
from store.db import make_engine, session_factory

RASA_START_SECONDS = 240


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("bot-stack")
    api_port, rasa_port, action_port = free_port(), free_port(), free_port()
    token = secrets.token_urlsafe(32)
    api_url, rasa_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{rasa_port}"
    database_url = f"sqlite:///{folder / 'feedback.db'}"
    env = environment(
        FEEDBACK_DATABASE__URL=database_url,
        FEEDBACK_WEB__CHANNEL_TOKENS=f"[{token}]",
        FEEDBACK_WEB__PORT=str(api_port),
        FEEDBACK_WEB__PUBLIC_URL=api_url,
        FEEDBACK_BOT__PORT=str(rasa_port),
        FEEDBACK_BOT__PUBLIC_URL=rasa_url,
        FEEDBACK_BOT__ACTION_PORT=str(action_port),
    )
    settings = load_settings(environ=env)
    try:
        assistant.check_installed(settings.bot)
    except assistant.AssistantUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))
    subprocess.run([*FEEDBACK, "db", "upgrade"], env=env, check=True, capture_output=True)
    actions = assistant.action_server(settings, api_url=api_url, channel_token=token)
    rasa = assistant.rasa_server(settings, runtime_dir=folder)
    api = ApiServer(env, folder / "api.log", f"{api_url}/api/health")
    with (
        running(
            actions.argv, env={**env, **actions.env}, cwd=actions.cwd, log=folder / "actions.log"
        ) as actions_process,
        running(rasa.argv, env={**env, **rasa.env}, cwd=rasa.cwd, log=folder / "rasa.log") as rasa_process,
    ):
        engine = make_engine(database_url)
        try:
            api.start()
            wait_until_answers(actions.ready_url, actions_process, folder / "actions.log", RASA_START_SECONDS)
            wait_until_answers(rasa.ready_url, rasa_process, folder / "rasa.log", RASA_START_SECONDS)
            yield Stack(
                api_url=api_url,
                rasa_url=rasa_url,
                channel_token=token,
                sessions=session_factory(engine),
                front_door_phone=settings.bot.front_door_phone,
                council_phone=settings.council.phone,
                api=api,
            )
        finally:
            api.stop()
            engine.dispose()
