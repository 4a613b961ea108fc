"""The shipped demo: the NATO–Ukraine partnership since 2023.

Public facts: the 31 members of July 2023 and Sweden's accession (7 March 2024); heavy weapons
by donor from the Kiel Institute's Ukraine Support Tracker (release 29, weapons.csv), whose
counts and values are used as they are, each value on Kiel's row (donor and category), no
weapon given a price (kiel.py); the NATO–Ukraine Council's meetings of July 2023 to
February 2026 as a public dataset records them (nuc_meetings.csv); the 29 security
agreements of 2024 with their dates, terms, 2024 figures (in EUR at the ECB rates of their
signing days) and 24-hour consultation clauses, as a compiled dataset records them
(security_agreements_2024.csv, exchange_rates.csv); and the membership pathway's milestones.
Everything else — the requests, their dates, the illustrative offers and the delivery
schedules, the minutes, the council's proposals and positions, a late crisis consultation, the
later years and reports of the instruments, the offer links, an armed-attack exercise, and the
capability packages with their tranches — is invented and marked illustrative.

The demo is data: delegations.csv, areas.csv, items.csv, requests.toml, offers.toml,
nuc_meetings.csv, council.toml, security_agreements_2024.csv, exchange_rates.csv,
guarantees.toml and envelope.toml beside a short builder (builder.py, timeline.py, council.py,
instruments.py, readiness.py); Kiel's file stays in shieldwall/data, unmodified.
"""

from __future__ import annotations

import datetime as dt

from shieldwall.demo.builder import DEMO_PASSWORD, build_demo
from shieldwall.demo.kiel import KIEL_WEAPONS, donor_codes
from shieldwall.demo.records import read_seats

_SEATS = read_seats()
MEMBERS: list[tuple[str, str, dt.date | None]] = [
    (s.code, s.name, s.joined_on) for s in _SEATS if s.kind == "member"
]
NAME_TO_CODE = donor_codes(_SEATS)  # Kiel's donor names of the members

__all__ = ["DEMO_PASSWORD", "KIEL_WEAPONS", "MEMBERS", "NAME_TO_CODE", "build_demo"]
