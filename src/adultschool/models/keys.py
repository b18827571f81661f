"""Columns derived from a name: a learner's full pinyin, initials and pinyin sort key, a township's pinyin
sort key. Computed here alone; they do not travel in sync packages (the `derived` mark keeps them out of
services.sync_tables): every database computes them from the name it holds.

An INSERT fills them by column default from its `name`, an ORM object when its name is set; an UPDATE statement that
sets a name adds `with_derived(table, values)`.
"""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.orm import InstrumentedAttribute

from adultschool import pinyin

NAME_KEY_COLUMNS = ("name_pinyin", "name_initials", "name_sort")


def derived() -> dict[str, bool]:
    """The `info` of a derived column (a dict of its own for each column)."""
    return {"derived": True}


def name_keys(name: str | None) -> dict[str, str | None]:
    """The stored pinyin keys of a learner's name (its surname read as a surname)."""
    if not name or not name.strip():
        return dict.fromkeys(NAME_KEY_COLUMNS)
    keys = pinyin.person_name(name)
    return {"name_pinyin": keys.full, "name_initials": keys.initials, "name_sort": keys.sort_key}


def township_keys(name: str | None) -> dict[str, str | None]:
    """The stored pinyin sort key of a township's name."""
    return {"name_sort": pinyin.place_name(name).sort_key if name and name.strip() else None}


KEYS_OF: dict[str, Callable[[str | None], dict[str, str | None]]] = {"learners": name_keys, "townships": township_keys}


def with_derived(table_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """UPDATE values with the derived keys added when they set the name (unchanged when they do not)."""
    derive = KEYS_OF.get(table_name)
    return {**values, **derive(values["name"])} if derive is not None and "name" in values else values


def with_name_keys(values: dict[str, Any]) -> dict[str, Any]:
    return with_derived("learners", values)


def key_default(table_name: str, column: str) -> Callable[[Any], str | None]:
    """A column default for an INSERT that does not give the key (Core, bulk or ORM): from the row's name."""
    derive = KEYS_OF[table_name]

    def default(context: Any) -> str | None:
        return derive(context.get_current_parameters().get("name"))[column]
    return default


def derive_on_set(name_attribute: InstrumentedAttribute, table_name: str) -> None:
    """A name set on an ORM object (a new row, an anonymisation) brings its keys along."""
    derive = KEYS_OF[table_name]

    @event.listens_for(name_attribute, "set")
    def _name_set(target: Any, name: str | None, _old: Any, _initiator: Any) -> None:
        for column, value in derive(name).items():
            setattr(target, column, value)
