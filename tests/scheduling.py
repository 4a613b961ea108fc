"""How `make test`'s two xdist workers share the files (``--dist loadfile``)."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

# The files that take longest, longest first, as measured (junit times summed per file under
# `pytest -n 2 --dist loadfile`). xdist's loadfile otherwise hands out the files with the most
# tests first, which are the quick rule tests, and leaves these few-test, long files for the end:
# one worker then ran the schema test alone for minutes while the other sat idle. A file missing
# here is only handed out after them, in xdist's order. (The CLI files left this list when their
# commands came to run in the test's process: each now takes seconds.)
LONGEST_FIRST = (
    "tests/test_api_schema.py",  # 3 tests: the chair's the longest, deu's and ukr's about half
    "tests/test_browser_pages.py",  # 4 walks (a reader each, both widths)
    "tests/test_access_policy.py",  # 120 tests of 1 to 4 s
    "tests/test_ledger_stateful.py",  # the ledger machine: 1 minute on SQLite, 1/2 on PostgreSQL
    "tests/test_find_pages.py",
    "tests/test_browser_council.py",
    "tests/test_scheduler.py",
    "tests/test_browser_assistance.py",
    "tests/test_browser_guarantees_i18n.py",
    "tests/test_envelope.py",
    "tests/test_concurrency.py",
    "tests/test_api_ledger.py",
    "tests/test_browser_envelope.py",
    "tests/test_browser_obligations.py",
    "tests/test_browser_guarantees.py",
    "tests/test_council.py",
    "tests/test_obligations.py",
    "tests/test_summary_downloads.py",
)
# Files whose tests go to either worker one by one (their fixtures are per test or cheap):
# one such file would otherwise bound the whole run, or be the last one left to one worker.
SPLIT_BY_TEST = {
    "tests/test_api_schema.py",
    "tests/test_browser_pages.py",
    "tests/test_access_policy.py",
    "tests/test_ledger_stateful.py",
}


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
