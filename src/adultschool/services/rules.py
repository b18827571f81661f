"""Reads and changes the rules table (settings.RULE_SPECS defaults overlaid with stored values)."""
from __future__ import annotations

import json
from typing import Any

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
    rules = load_rules(session)
    if rules.min_age > rules.max_age:
        raise AdultSchoolError("报名最低年龄不能大于最高年龄。")
    return rules
