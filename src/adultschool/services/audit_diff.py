"""Before → after of learners' details for the audit log: only the fields a registration or survey row changed.

Phones are kept masked and ID numbers never appear: the audit log is read by people who need not see them.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.models import Learner
from adultschool.services.learners import mask_phone

CHUNK = 500
DETAIL_FIELDS = ("name", "gender", "birth_date", "phone", "education", "employer", "address", "job",
                 "household_location", "is_migrant", "township_id", "willingness", "preferred_learning", "surveyed_on")


def learner_details(session: Session, learner_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The audited fields (and the uuid) of these learners as they are now, before an update; a query per 500."""
    ids = list(dict.fromkeys(learner_ids))
    columns = [getattr(Learner, name) for name in DETAIL_FIELDS]
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(select(Learner.id, Learner.uuid, *columns)
                                   .where(Learner.id.in_(ids[start:start + CHUNK]))):
            found[row[0]] = {"uuid": row[1], **dict(zip(DETAIL_FIELDS, row[2:]))}
    return found


def _shown(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "phone":
        return mask_phone(value)
    return getattr(value, "value", value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of `new` whose value differs from `old`, as (before, after); empty when nothing changed."""
    before, after = {}, {}
    for field, value in new.items():
        if field not in DETAIL_FIELDS or value == old.get(field):
            continue
        before[field], after[field] = _shown(field, old.get(field)), _shown(field, value)
    return before, after
