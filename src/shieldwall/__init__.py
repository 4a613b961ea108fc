"""Shieldwall: the working platform of a security partnership between an alliance and a partner."""

__version__ = "0.1.0"
