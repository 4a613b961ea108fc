"""What the scheduler runs for notifications: the delivery of the mail outbox."""

from __future__ import annotations

from shieldwall.kit.scheduling import Job
from shieldwall.notifications.mail import deliver_due

JOBS: list[Job] = [Job("mail", deliver_due)]
