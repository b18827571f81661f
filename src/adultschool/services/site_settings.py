"""设置's 保存 as one action: the rules changed, the task numbers changed and, at a district, which rules its schools
may set for themselves — all in the caller's transaction, so a refusal anywhere keeps every change out. A refusal
names its place in `field`: a rule's key, or "quota" for a task number."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sqlalchemy.orm import Session

from adultschool.services import rules, site
from adultschool.services.site import TownshipInfo
from adultschool.rule_defaults import Rules


@dataclass(frozen=True)
class SavedSettings:
    rules: Rules
    townships: list[TownshipInfo]
    school_may_change: frozenset[str]  # at a district; empty at a school
    locked: frozenset[str]  # at a school: the rules the district sets


def save_settings(session: Session, *, rule_changes: Mapping[str, Any],
                  quota_changes: Sequence[tuple[int, str, int]], school_may_change: frozenset[str] | None = None,
                  actor: str) -> SavedSettings:
    if rule_changes:
        rules.set_rules(session, rule_changes, actor=actor)
    for year, name, quota in quota_changes:
        site.set_quota(session, name, year, quota, actor=actor)
    if school_may_change is not None:
        before = rules.school_may_change(session)
        if added := sorted(school_may_change - before):
            rules.set_school_may_change(session, added, allowed=True, actor=actor)
        if removed := sorted(before - school_may_change):
            rules.set_school_may_change(session, removed, allowed=False, actor=actor)
    return current_settings(session)


def current_settings(session: Session) -> SavedSettings:
    at_district = site.get_site(session).kind.value == "district"
    return SavedSettings(rules.load_rules(session), site.list_townships(session),
                         rules.school_may_change(session) if at_district else frozenset(),
                         rules.locked_keys(session))
