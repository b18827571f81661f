"""Surveyed residents without an ID number (models.SurveyContact): matched to a learner when the ID arrives.

A contact matches a learner of the same name and phone whose township is the contact's (or either is not known);
a contact that two learners would match is left alone, never guessed.
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.models import Learner, SurveyContact

CHUNK = 500


def has_open_contacts(session: Session) -> bool:
    return session.execute(select(exists().where(SurveyContact.learner_id.is_(None)))).scalar_one()


def match_contacts(session: Session, learner_ids: Sequence[int], *, today: date | None = None) -> int:
    """Links unmatched contacts to these learners (same name and phone, compatible township), matched on `today`;
    returns how many."""
    if not learner_ids or not has_open_contacts(session):
        return 0
    people: dict[tuple[str, str | None], list[tuple[int, int | None]]] = {}  # phone: the query keeps non-null ones
    ids = sorted(set(learner_ids))
    for start in range(0, len(ids), CHUNK):
        for learner_id, name, phone, township_id in session.execute(
            select(Learner.id, Learner.name, Learner.phone, Learner.township_id)
            .where(Learner.id.in_(ids[start:start + CHUNK]), Learner.phone.is_not(None))
        ):
            people.setdefault((name, phone), []).append((learner_id, township_id))
    if not people:
        return 0
    names = sorted({name for name, _ in people})
    matched = 0
    today = today or clock.today()
    for start in range(0, len(names), CHUNK):
        for contact_id, name, phone, township_id in session.execute(
            select(SurveyContact.id, SurveyContact.name, SurveyContact.phone, SurveyContact.township_id)
            .where(SurveyContact.learner_id.is_(None), SurveyContact.name.in_(names[start:start + CHUNK]),
                   SurveyContact.phone.is_not(None))
        ):
            candidates = [learner for learner, township in people.get((name, phone), [])
                          if township is None or township_id is None or township == township_id]
            if len(candidates) == 1:
                session.execute(update(SurveyContact).where(SurveyContact.id == contact_id)
                                .values(learner_id=candidates[0], matched_on=today),
                                execution_options={"synchronize_session": False})
                matched += 1
    return matched


def unmatch(session: Session, learner_ids: Sequence[int]) -> None:
    """Before these learners are removed (an import undone): their contacts wait for an ID again."""
    ids = sorted(set(learner_ids))
    for start in range(0, len(ids), CHUNK):
        session.execute(update(SurveyContact).where(SurveyContact.learner_id.in_(ids[start:start + CHUNK]))
                        .values(learner_id=None, matched_on=None), execution_options={"synchronize_session": False})
