"""Column mappings a clerk made for a township's sheet: kept per kind of import and header-row signature, reused.

A mapping is field → the header as written in that township's file (`身份证号码` → `证件号码`). It is kept in the
site settings under `column_mapping:<kind>:<signature>`, with a name the command line can give (`--mapping NAME`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import SiteSetting
from adultschool.services import audit
from adultschool.textnorm import clean_text
from adultschool.xlsx import Column
from adultschool.xlsx.headers import parse_map_option

PREFIX = "column_mapping:"


@dataclass(frozen=True)
class SavedMapping:
    kind: str
    signature: str
    name: str
    fields: dict[str, str]


def _key(kind: str, signature: str) -> str:
    return f"{PREFIX}{kind}:{signature}"[:100]


def list_mappings(session: Session, kind: str | None = None) -> list[SavedMapping]:
    found = []
    for key, value in session.execute(select(SiteSetting.key, SiteSetting.value)
                                      .where(SiteSetting.key.like(f"{PREFIX}%")).order_by(SiteSetting.key)):
        _, stored_kind, signature = key.split(":", 2)
        if kind is not None and stored_kind != kind:
            continue
        data = json.loads(value)
        found.append(SavedMapping(stored_kind, signature, data.get("name", ""), dict(data.get("fields", {}))))
    return sorted(found, key=lambda m: (m.kind, m.name))


def saved_for(session: Session, kind: str):  # noqa: ANN201 - the callable sheet_import.start_report takes
    """signature → (name, mapping) of the mapping kept for a sheet with that header row, if any."""
    def look_up(signature: str) -> tuple[str, dict[str, str]] | None:
        row = session.get(SiteSetting, _key(kind, signature))
        if row is None:
            return None
        data = json.loads(row.value)
        return data.get("name", ""), dict(data.get("fields", {}))
    return look_up


def named(session: Session, kind: str, name: str) -> dict[str, str]:
    """The mapping saved under this name (`--mapping NAME`)."""
    wanted = clean_text(name) or ""
    for mapping in list_mappings(session, kind):
        if mapping.name == wanted:
            return mapping.fields
    known = "、".join(m.name for m in list_mappings(session, kind)) or "（还没有）"
    raise AdultSchoolError(f"没有名为“{wanted}”的列对应。已保存的有：{known}。")


def resolve(session: Session, kind: str, columns: Sequence[Column], *, pairs: Sequence[str] = (),
            name: str | None = None) -> dict[str, str]:
    """`--mapping NAME` overlaid with `--map 身份证号码=证件号码 …`: field → header as written."""
    mapping = named(session, kind, name) if name else {}
    mapping.update(parse_map_option(columns, pairs))
    return mapping


def remember(session: Session, kind: str, signature: str, fields: dict[str, str], *, name: str, actor: str) -> str:
    """Keeps the mapping for sheets with this header row (an import that used it committed); returns its name."""
    name = (clean_text(name) or signature)[:100]
    key = _key(kind, signature)
    value = json.dumps({"name": name, "fields": fields}, ensure_ascii=False, sort_keys=True)
    row = session.get(SiteSetting, key)
    if row is not None and row.value == value:
        return name
    before = json.loads(row.value) if row is not None else None
    if row is None:
        session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    audit.record(session, actor=actor, action="mapping.save", entity="site_settings",
                 summary=f"保存列对应“{name}”（{kind}）", before=before, after={"name": name, "fields": fields})
    session.flush()
    return name
