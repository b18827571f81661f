"""Reads and changes the rules table (settings.RULE_SPECS defaults overlaid with stored values)."""
from __future__ import annotations

import json
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import Rule
from adultschool.services import accounts, audit
from adultschool.settings import SPECS_BY_KEY, Rules, check_rule_value


def load_rules(session: Session) -> Rules:
    stored = {key: json.loads(value) for key, value in session.execute(select(Rule.key, Rule.value))}
    return Rules.from_stored(stored)


def set_rule(session: Session, key: str, value: Any, *, actor: str) -> Rules:
    accounts.require(session, actor, accounts.Permission.EDIT_RULES)
    _store(session, key, value, actor)
    return _checked_together(session)


def set_rules(session: Session, values: Mapping[str, Any], *, actor: str) -> Rules:
    """Several rules at once (the settings dialog's 保存), each checked and audited as by `set_rule`; the rules that
    depend on each other are compared after all are stored. A refusal names its rule's key in `field`."""
    accounts.require(session, actor, accounts.Permission.EDIT_RULES)
    for key, value in values.items():
        try:
            _store(session, key, value, actor)
        except AdultSchoolError as exc:
            exc.field = exc.field or key
            raise
    return _checked_together(session)


def _store(session: Session, key: str, value: Any, actor: str) -> None:
    check_rule_value(key, value)
    before = load_rules(session).values[key]
    row = session.get(Rule, key)
    encoded = json.dumps(value, ensure_ascii=False)
    if row is None:
        session.add(Rule(key=key, value=encoded, updated_by=actor))
    else:
        row.value, row.updated_by = encoded, actor
    audit.record(session, actor=actor, action="rule.set", entity="rules",
                 summary=f"修改规则“{SPECS_BY_KEY[key].label}”", before={key: before}, after={key: value})
    session.flush()


def _checked_together(session: Session) -> Rules:
    rules = load_rules(session)
    if rules.min_age > rules.max_age:
        raise AdultSchoolError("报名最低年龄不能大于最高年龄。", field="min_age")
    return rules
