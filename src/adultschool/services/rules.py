"""Reads and changes the rules table (settings.RULE_SPECS defaults overlaid with stored values).

At a school that applied a district package, the district's values come between the defaults and the school's own:
a rule the district sets is the district's, and the school's own value counts only for the rules the district lets
its schools change (`school_may_change`, kept at the district and sent with its values).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import Rule, SiteKind, SiteSetting
from adultschool.services import audit, permissions, site
from adultschool.rule_defaults import RULE_SPECS, SPECS_BY_KEY, Rules, check_rule_value

# At a school: {"values": {key: value}, "school_may_change": [key, ...], "sequence": n} from the district's package.
DISTRICT_RULES = "district.rules"
# At the district: the rules its schools may set for themselves (the others are the district's for every school).
SCHOOL_MAY_CHANGE = "rules.school_may_change"


@dataclass(frozen=True)
class DistrictRules:
    values: dict[str, Any]
    school_may_change: frozenset[str]

    def locks(self, key: str) -> bool:
        return key in self.values and key not in self.school_may_change


def _json_setting(session: Session, key: str) -> Any:
    row = session.get(SiteSetting, key)
    return json.loads(row.value) if row else None


def district_rules(session: Session) -> DistrictRules | None:
    """What the district's latest package said of the rules (None: no package applied, or at the district)."""
    stored = _json_setting(session, DISTRICT_RULES)
    if not stored:
        return None
    return DistrictRules(dict(stored.get("values") or {}), frozenset(stored.get("school_may_change") or ()))


def _own_values(session: Session) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in session.execute(select(Rule.key, Rule.value))}


def _in_force(own: dict[str, Any], district: DistrictRules | None) -> Rules:
    if district is not None:
        own = {key: value for key, value in own.items() if not district.locks(key)}
        own = {**{k: v for k, v in district.values.items() if k in SPECS_BY_KEY}, **own}
    return Rules.from_stored(own)


def load_rules(session: Session) -> Rules:
    return _in_force(_own_values(session), district_rules(session))


def apply_district_rules(session: Session, given: dict[str, Any], *, sequence: int, actor: str,
                         dry_run: bool = False) -> list[str]:
    """At a school: the rules of the district's package take effect (every value checked first); a line per rule
    whose value in force changes, and per rule the school may now set, or no longer set, for itself."""
    values = given.get("values")
    may_change = given.get("school_may_change") or []
    if not isinstance(values, dict) or not isinstance(may_change, list):
        raise AdultSchoolError("分中心数据包里的规则表格式不对，没有导入。请分中心用最新版本重新生成。")
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SPECS_BY_KEY:
            continue  # a rule a newer version knows: this version has nothing it would change
        try:
            kept[key] = check_rule_value(key, value)
        except AdultSchoolError:
            raise AdultSchoolError(f"分中心数据包里规则“{SPECS_BY_KEY[key].label}”的值不合要求，没有导入。"
                                   "请与分中心联系。") from None
    new = DistrictRules(kept, frozenset(k for k in may_change if isinstance(k, str)))
    old = district_rules(session)
    own = _own_values(session)
    before, after = _in_force(own, old).values, _in_force(own, new).values
    lines = []
    for spec in RULE_SPECS:
        if before[spec.key] != after[spec.key]:
            lines.append(f"规则“{spec.label}”：{_shown(before[spec.key])} → {_shown(after[spec.key])}")
        was_locked = old is not None and old.locks(spec.key)
        if new.locks(spec.key) and not was_locked and spec.key in own:
            lines.append(f"规则“{spec.label}”改由分中心统一规定，本校原来的设定（{_shown(own[spec.key])}）不再生效")
        elif was_locked and not new.locks(spec.key):
            lines.append(f"规则“{spec.label}”可由本校自行设定")
    if not dry_run:
        encoded = json.dumps({"values": kept, "school_may_change": sorted(new.school_may_change), "sequence": sequence},
                             ensure_ascii=False, sort_keys=True)
        row = session.get(SiteSetting, DISTRICT_RULES)
        if row is None:
            session.add(SiteSetting(key=DISTRICT_RULES, value=encoded))
        else:
            row.value = encoded
        if lines:
            audit.record(session, actor=actor, action="rule.district", entity="rules",
                         summary=f"按分中心第 {sequence} 号数据包更新规则：{len(lines)} 处",
                         before={k: before[k] for k in SPECS_BY_KEY if before[k] != after[k]},
                         after={k: after[k] for k in SPECS_BY_KEY if before[k] != after[k]})
        session.flush()
        _checked_together(session)
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


def locked_keys(session: Session) -> frozenset[str]:
    """The rules this school may not change because the district sets them (empty at the district)."""
    district = district_rules(session)
    return frozenset(k for k in SPECS_BY_KEY if district is not None and district.locks(k))


def _refuse_locked(session: Session, key: str) -> None:
    district = district_rules(session)
    if district is not None and district.locks(key):
        value = json.dumps(district.values[key], ensure_ascii=False)
        raise AdultSchoolError(
            f"规则“{SPECS_BY_KEY[key].label}”由分中心统一规定（{value}），本校不能修改。如需调整，请与分中心联系。",
            field=key)


def school_may_change(session: Session) -> frozenset[str]:
    """At the district: the rules its schools may set for themselves."""
    return frozenset(_json_setting(session, SCHOOL_MAY_CHANGE) or ())


def set_school_may_change(session: Session, keys: list[str], *, allowed: bool, actor: str) -> frozenset[str]:
    """At the district: lets its schools change these rules for themselves (`allowed`), or takes that back; the
    schools learn it from the district's next package."""
    permissions.require(session, actor, permissions.Permission.EDIT_RULES)
    if site.get_site(session).kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("只有分中心能规定哪些规则由学校自行设定。")
    unknown = [key for key in keys if key not in SPECS_BY_KEY]
    if unknown:
        raise AdultSchoolError(f"没有名为“{unknown[0]}”的规则。")
    before = school_may_change(session)
    after = frozenset(before | set(keys)) if allowed else frozenset(before - set(keys))
    if after != before:
        encoded = json.dumps(sorted(after), ensure_ascii=False)
        row = session.get(SiteSetting, SCHOOL_MAY_CHANGE)
        if row is None:
            session.add(SiteSetting(key=SCHOOL_MAY_CHANGE, value=encoded))
        else:
            row.value = encoded
        labels = "、".join(SPECS_BY_KEY[k].label for k in keys)
        audit.record(session, actor=actor, action="rule.school_may_change", entity="site_settings",
                     summary=f"{'允许学校自行设定' if allowed else '改为分中心统一规定'}：{labels}",
                     before={"school_may_change": sorted(before)}, after={"school_may_change": sorted(after)})
    return after


def rules_for_schools(session: Session) -> dict[str, Any]:
    """At the district: what its package tells every school of the rules (every value in force here)."""
    rules = load_rules(session)
    return {"values": {spec.key: rules.values[spec.key] for spec in RULE_SPECS},
            "school_may_change": sorted(school_may_change(session))}


def set_rule(session: Session, key: str, value: Any, *, actor: str) -> Rules:
    permissions.require(session, actor, permissions.Permission.EDIT_RULES)
    _store(session, key, value, actor)
    return _checked_together(session)


def set_rules(session: Session, values: Mapping[str, Any], *, actor: str) -> Rules:
    """Several rules at once (the settings dialog's 保存), each checked and audited as by `set_rule`; the rules that
    depend on each other are compared after all are stored. A refusal names its rule's key in `field`."""
    permissions.require(session, actor, permissions.Permission.EDIT_RULES)
    for key, value in values.items():
        try:
            _store(session, key, value, actor)
        except AdultSchoolError as exc:
            exc.field = exc.field or key
            raise
    return _checked_together(session)


def _store(session: Session, key: str, value: Any, actor: str) -> None:
    check_rule_value(key, value)
    _refuse_locked(session, key)
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
