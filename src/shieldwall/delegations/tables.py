from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from shieldwall.kit.db import Base


class Delegation(Base):
    """A state (ISO 3166 alpha-3 code) or the secretariat, seated in the council; or a
    contributor outside it (the EU, Japan) that supports the partner."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # member | partner | secretariat | contributor
    joined_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    # GDP in EUR billion as its source wrote it (a decimal string: no float rounding), with
    # that source; burden-sharing's % of GDP divides by it. None: no GDP known.
    gdp_eur_bn: Mapped[str | None] = mapped_column(String(40))
    gdp_source: Mapped[str | None] = mapped_column(String(200))
