"""One page of a long list, and where it sits in the whole."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    total: int
    offset: int
    limit: int
    items: list[T]
