"""The two virtual environments `make` builds: the application's (this one) and the assistant's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOT_PYTHON = REPO / ".venv-bot" / "bin" / "python"


def test_application_runs_on_python_3_11() -> None:
    assert sys.version_info[:2] == (3, 11)


def test_bot_environment_has_rasa_3_6_21_on_python_3_10() -> None:
    """Rasa 3.6 pins old libraries and needs 3.10, so it lives in .venv-bot; `make` must have built it."""
    assert BOT_PYTHON.exists(), "run `make install` to build .venv-bot"
    probe = (
        "import sys, rasa, rasa_sdk, sqlalchemy; "
        "print(sys.version_info[:2], rasa.__version__, sqlalchemy.__version__)"
    )
    result = subprocess.run([str(BOT_PYTHON), "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split(") ")[0] == "(3, 10"
    assert result.stdout.split()[2:] == ["3.6.21", "1.4.54"]
