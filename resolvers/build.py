"""Conversions between strawberry types and plain data.

- :func:`to_document`: a GraphQL input into the plain report document the intake validates
  (``UNSET`` fields dropped; enums, dates and nested inputs kept);
- :func:`build`: a strawberry output type from stored JSON (snake_case keys, enum *names*,
  ISO date strings), so nested report parts need no hand-written resolvers;
- :func:`native` / :func:`required`: a Neo4j temporal value as a Python ``datetime``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


def to_document(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_document(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [to_document(item) for item in value]
    return value


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value]
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint[value]
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if dataclasses.is_dataclass(hint):
            return build(hint, value)
    return value


def build(cls: type[T], data: dict[str, Any]) -> T:
    """An instance of the strawberry type ``cls`` from a stored JSON mapping."""
    hints = typing.get_type_hints(cls)
    kwargs = {
        field.name: _convert(hints[field.name], data.get(field.name))
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        if field.init and field.name in hints
    }
    return cls(**kwargs)


def native(value: Any) -> datetime | None:
    """A neo4j DateTime as a Python datetime (``None`` stays ``None``)."""
    if value is None:
        return None
    result: datetime = value.to_native() if hasattr(value, "to_native") else value
    return result


def required(value: Any) -> datetime:
    """:func:`native` for a timestamp the graph always holds."""
    moment = native(value)
    assert moment is not None, "a required timestamp is missing from the graph"
    return moment
