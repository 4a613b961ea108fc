"""Mutation score of the rules modules: `make mutants`.

Runs mutmut (configured in pyproject.toml, [tool.mutmut]: the rules modules, mutated;
the fast rule tests, run against each mutant) from scratch, reads its results, leaves out the
mutants listed in mutants-equivalent.toml (each with the reason it cannot change behaviour),
and prints every mutant that survived and is not listed (the first 25 with their diff), then

    mutation score: K/N killed (P%)

Exits 1 under 90%, or when the list of equivalent mutants is wrong (an entry that names no
mutant, a different mutation, or a mutant the tests kill); 2 when mutmut itself fails.

The previous run's `mutants/` directory is removed first: mutmut 3 keeps a mutant's verdict
until the function it mutates changes, so a test added since would not be given its chance.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"
WORK = ROOT / "mutants"
EQUIVALENT = ROOT / "mutants-equivalent.toml"
THRESHOLD_PERCENT = 90
# mutmut's verdicts that count as killed: a test failed, or the mutant ran past its time limit
# (it looped: the tests would never pass).
KILLED = {"killed", "timeout"}
SHOW_DIFFS = 25  # survivors shown with their diff; the rest by name (`mutmut show NAME`)


@dataclass(frozen=True)
class Equivalent:
    name: str
    mutation: str
    why: str


def mutmut(*args: str) -> str:
    done = subprocess.run(
        [str(MUTMUT), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        sys.exit(f"mutmut {' '.join(args)} failed with exit code {done.returncode}")
    return done.stdout


def run_mutmut() -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    done = subprocess.run([str(MUTMUT), "run"], cwd=ROOT, capture_output=True, text=True)
    WORK.mkdir(exist_ok=True)
    (WORK / "mutmut-run.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        sys.stderr.write((done.stdout + done.stderr)[-4000:] + "\n")
        print(f"mutmut run failed with exit code {done.returncode}", file=sys.stderr)
        sys.exit(2)


def results() -> dict[str, str]:
    """Every mutant's name → mutmut's verdict."""
    verdicts: dict[str, str] = {}
    for line in mutmut("results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            verdicts[name] = status
    return verdicts


def mutated_lines(name: str) -> list[str]:
    """The lines the mutant puts in place of the original, stripped."""
    return [
        line[1:].strip()
        for line in mutmut("show", name).splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]


def load_equivalent() -> list[Equivalent]:
    data = tomllib.loads(EQUIVALENT.read_text())
    entries = []
    for entry in data.get("equivalent", []):
        name, mutation, why = entry.get("name"), entry.get("mutation"), entry.get("why")
        if not (isinstance(name, str) and isinstance(mutation, str) and isinstance(why, str)):
            sys.exit(f"{EQUIVALENT.name}: each entry needs a name, a mutation and a why: {entry}")
        if not why.strip():
            sys.exit(f"{EQUIVALENT.name}: {name} says nothing about why it is equivalent")
        entries.append(Equivalent(name, mutation.strip(), why.strip()))
    return entries


def check_equivalent(entries: list[Equivalent], verdicts: dict[str, str]) -> list[str]:
    """What is wrong with the list of equivalent mutants (nothing, one hopes)."""
    problems = []
    for entry in entries:
        if entry.name not in verdicts:
            problems.append(f"{entry.name}: no such mutant (the code changed? run `make mutants`)")
        elif verdicts[entry.name] in KILLED:
            problems.append(f"{entry.name}: listed as equivalent, but the tests kill it")
        elif entry.mutation not in mutated_lines(entry.name):
            problems.append(
                f"{entry.name}: is no longer `{entry.mutation}` (mutmut renumbered the mutants "
                f"of its function): `mutmut show {entry.name}`"
            )
    return problems


def main() -> int:
    started = time.monotonic()
    run_mutmut()
    verdicts = results()
    if not verdicts:
        print("mutmut reported no mutants", file=sys.stderr)
        return 2
    entries = load_equivalent()
    problems = check_equivalent(entries, verdicts)
    equivalent = {entry.name for entry in entries}
    scored = {name: status for name, status in verdicts.items() if name not in equivalent}
    killed = sum(status in KILLED for status in scored.values())
    total = len(scored)
    print(
        f"{len(verdicts)} mutants of the rules modules, {len(equivalent & verdicts.keys())} "
        f"listed as equivalent in {EQUIVALENT.name}, in {time.monotonic() - started:.0f} s"
    )
    survivors = sorted(name for name, status in scored.items() if status not in KILLED)
    for n, name in enumerate(survivors):
        print(f"\nnot killed ({scored[name]}): {name}")
        if n < SHOW_DIFFS:
            print(mutmut("show", name).rstrip())
    for problem in problems:
        print(f"{EQUIVALENT.name}: {problem}", file=sys.stderr)
    tenths = 1000 * killed // total  # rounded down, so that 89.96% never shows as 90.0%
    print(f"mutation score: {killed}/{total} killed ({tenths // 10}.{tenths % 10}%)")
    if problems:
        return 1
    if 100 * killed < THRESHOLD_PERCENT * total:
        print(f"under {THRESHOLD_PERCENT}%: kill the survivors above with tests", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
