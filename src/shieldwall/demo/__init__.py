"""The shipped demo: the NATO–Ukraine partnership of 2023–2024 (built by builder.py)."""

from __future__ import annotations

from shieldwall.demo.builder import DEMO_PASSWORD, KIEL_WEAPONS, MEMBERS, NAME_TO_CODE, build_demo

__all__ = ["DEMO_PASSWORD", "KIEL_WEAPONS", "MEMBERS", "NAME_TO_CODE", "build_demo"]
