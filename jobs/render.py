"""The jobs' mail, as text and HTML, from Jinja templates beside the acknowledgement's (intake/templates)."""

from __future__ import annotations

from typing import Any

from intake.replies import RenderedMail, templates


def render(name: str, subject: str, context: dict[str, Any]) -> RenderedMail:
    text = templates.get_template(f"{name}.txt").render(context)
    html = templates.get_template(f"{name}.html").render(context)
    return RenderedMail(subject=subject, text=text, html=html)
