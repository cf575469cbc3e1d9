"""The background parts — SMTP listener, intake worker, outbox sender, classification worker — as one.

`feedback serve` runs them beside the API in one process (the simple deployment); `feedback smtpd`,
`feedback outbox send` and `feedback classify` run them on their own, so each can be scaled separately.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from feedback.application import Application
from feedback.classification import ClassificationWorker
from intake.outbound import OutboxSender
from intake.smtp import FeedbackHandler, Listener
from intake.worker import MailWorker

STOP_SECONDS = 30


@dataclass
class MailChannel:
    app: Application
    listen: bool = True
    send: bool = True
    classify: bool = False
    stop_event: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _listener: Listener | None = None
    _worker: MailWorker | None = None

    def start(self) -> list[str]:
        """Start the parts; lines saying where they are."""
        said = []
        if self.listen:
            worker = MailWorker(self.app.sessions, self.app.mail_processor(), on_processed=self.app.cases_waiting.set)
            handler = FeedbackHandler(
                self.app.engine, self.app.settings.smtp, on_stored=worker.wake.set, now=self.app.service.now
            )
            self._listener, self._worker = Listener(handler, self.app.settings.smtp), worker
            self._listener.start()
            self._spawn("intake-worker", worker.run)
            smtp = self.app.settings.smtp
            said.append(f"SMTP listener on {smtp.host}:{smtp.port} for {', '.join(smtp.recipients)}")
        if self.send:
            sender = OutboxSender(self.app.sessions, self.app.settings.mail, now=self.app.service.now)
            self._spawn("outbox-sender", sender.run)
            relay = self.app.settings.mail.relay
            said.append(f"outbox sender delivering through {relay.host}:{relay.port}")
        if self.classify:
            classifier = ClassificationWorker(self.app)
            self._spawn("classifier", classifier.run)
            said.append(f"classifier suggesting labels with the models in {self.app.settings.classifiers.models_dir}")
        return said

    def stop(self) -> None:
        """Stop listening first (so nothing new is accepted), then let the workers finish what they hold."""
        self.stop_event.set()
        if self._worker is not None:
            self._worker.wake.set()
        self.app.cases_waiting.set()
        if self._listener is not None:
            self._listener.stop()
        for thread in self._threads:
            thread.join(timeout=STOP_SECONDS)

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)
