"""How `make test`'s two xdist workers share the files (``--dist loadfile``)."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

# The files that take longest, longest first, as measured (junit times summed per file under
# `pytest -n 2 --dist loadfile`). xdist's loadfile otherwise hands out the files with the most
# tests first, which are the quick rule tests, and leaves these few-test, long files for the end:
# one worker then ran the schema test alone for minutes while the other sat idle. A file missing
# here is only handed out after them, in xdist's order.
LONGEST_FIRST = (
    "tests/test_api_schema.py",  # 3 tests of 1.5 to 3 minutes each
    "tests/test_browser_pages.py",  # 8 walks of about a minute each
    "tests/test_cli_guarantees.py",  # the CLI files: a Python process for each command
    "tests/test_access_policy.py",
    "tests/test_cli.py",
    "tests/test_cli_council.py",
    "tests/test_scheduler.py",
    "tests/test_browser_council.py",
    "tests/test_cli_obligations.py",
    "tests/test_sessions.py",
    "tests/test_obligations_pages.py",
    "tests/test_audit_anchor.py",
    "tests/test_cli_envelope.py",
    "tests/test_envelope_i18n.py",
)
# Files whose tests go to either worker one by one (their fixtures are per test or cheap):
# one such file would otherwise bound the whole run.
SPLIT_BY_TEST = {"tests/test_api_schema.py", "tests/test_browser_pages.py"}


class LongestFirst(LoadFileScheduling):  # type: ignore[misc]  # xdist is untyped
    """``--dist loadfile`` with the long files first and the longest split by test."""

    _ordered = False

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return nodeid if path in SPLIT_BY_TEST else path

    def _assign_work_unit(self, node: WorkerController) -> None:
        if not self._ordered:  # the queue is complete before the first unit is handed out
            self._ordered = True
            rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
            units = sorted(
                self.workqueue.items(),
                key=lambda unit: rank.get(unit[0].split("::", 1)[0], len(rank)),
            )  # stable: the rest keep xdist's order
            self.workqueue.clear()
            self.workqueue.update(units)
        super()._assign_work_unit(node)
