"""The audit log in a clerk's words: field names, coded values and what an entry touched in Chinese."""
from __future__ import annotations

import json

from adultschool.services import audit_text


def test_a_learner_edit_reads_as_fields_before_and_after():
    before = json.dumps({"name": "张三", "level": "junior", "is_migrant": False, "phone": None})
    after = json.dumps({"name": "张叁", "level": "senior", "is_migrant": True, "phone": "139****1111"})
    assert audit_text.detail_text(before, after, "learners").splitlines() == [
        "姓名：张三 → 张叁", "学历提升层次：初中 → 高中", "流动人口：否 → 是", "联系电话：（空） → 139****1111"]


def test_nested_values_name_their_path_and_codes_take_their_nearest_field():
    after = json.dumps({"statuses": {"330206-01-2026-00001": "graduated"},
                        "counts": {"learners": {"inserted": 3, "refused": 0}}})
    assert audit_text.detail_text(None, after).splitlines() == [
        "状态 · 330206-01-2026-00001：已毕业", "数量 · 学员 · 新增：3", "数量 · 学员 · 拒收：0"]


def test_one_side_on_one_line_and_unknown_keys_kept_as_written():
    assert audit_text.side_text(json.dumps({"role": "clerk", "display_name": "王老师"})) == "角色：教务员；显示名称：王老师"
    assert audit_text.side_text(json.dumps({"原因": "成绩登记有误"})) == "原因：成绩登记有误"
    assert audit_text.side_text(None) == ""
    assert audit_text.entity_label("class_sessions") == "课次"
    assert audit_text.entity_label("something_new") == "something_new"


def test_a_removed_field_says_so():
    assert audit_text.detail_text(json.dumps({"note": "旧"}), json.dumps({})) == "备注：旧 → （删除）"


def test_every_action_the_program_records_has_a_chinese_name():
    import re
    from pathlib import Path

    import adultschool.services as services
    from adultschool.services.audit_log import ACTION_LABELS

    written = set()
    for source in Path(services.__file__).parent.glob("*.py"):
        written |= set(re.findall(r'action="([a-z_.]+)"', source.read_text(encoding="utf-8")))
    assert len(written) > 60
    assert sorted(written - set(ACTION_LABELS)) == []
