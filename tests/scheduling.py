"""How `make test`'s two xdist workers share the files (``--dist loadfile``)."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

# The files that take longest, longest first, as measured: each file's tests' times summed, over
# both workers, in a whole `pytest -n 2 --dist loadfile` run (shared machine, load 7-9, so about
# twice what a quiet machine takes; the order is what counts). xdist's loadfile otherwise hands out
# the files with the most tests first, which are the quick rule tests, and leaves few-test, long
# files for the end: one worker then ran the last long file alone while the other sat idle (the
# serve --workers file, missing here, 110 s at the very end: the other worker idle for 37 s).
# Every file of 50 s or more is here, so that what is left for the end is files of seconds. A file
# missing here is only handed out after them, in xdist's order.
LONGEST_FIRST = (
    # The schema test before the all-pages walk, although shorter: the walks need the demo,
    # built once per run (conftest.demo_template), and with the walks first both workers
    # started on one, one building the demo and the other waiting for it (40 s idle, under
    # load); so one worker starts on the chair's schema run while the other builds it.
    "tests/test_api_schema.py",  # 209 s: the chair's run the longest, deu's and ukr's ~40 %
    "tests/test_browser_pages.py",  # 439 s: 4 walks (a reader each, both widths), by test
    "tests/test_access_policy.py",  # 159 s: 120 tests of 1 to 4 s, by test
    "tests/test_serve_workers.py",  # 110 s: real serve --workers processes
    "tests/test_browser_council.py",  # 110 s
    "tests/test_obligations.py",  # 108 s
    "tests/test_find_pages.py",  # 106 s
    "tests/test_cli.py",  # 101 s: the installed `shieldwall demo` builds the demo (66 s)
    "tests/test_assistance_pages.py",  # 86 s
    "tests/test_inbox.py",  # 84 s
    "tests/test_obligations_pages.py",  # 84 s
    "tests/test_council_pages.py",  # 82 s
    "tests/test_envelope_i18n.py",  # 81 s
    "tests/test_ledger_stateful.py",  # 77 s: the ledger machine, by test
    "tests/test_browser.py",  # 76 s
    "tests/test_envelope.py",  # 73 s
    "tests/test_browser_obligations.py",  # 72 s
    "tests/test_council.py",  # 69 s
    "tests/test_summary_downloads.py",  # 65 s
    "tests/test_browser_guarantees.py",  # 63 s
    "tests/test_sessions.py",  # 62 s
    "tests/test_browser_envelope.py",  # 61 s
    "tests/test_scheduler.py",  # 59 s
    "tests/test_envelope_pages.py",  # 59 s
    "tests/test_concurrency.py",  # 59 s
    "tests/test_browser_reports.py",  # 58 s
    "tests/test_amounts.py",  # 56 s
    "tests/test_browser_assistance.py",  # 52 s
    "tests/test_text.py",  # 51 s
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
