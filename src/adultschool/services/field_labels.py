"""The words for a learner's fields, as the registration form shows them: the form and its messages, a correction's
report and the audit log's rendering (services.audit_text) all say 联系电话, 家庭地址 … the same way."""
from __future__ import annotations

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号码",
    "level": "学历提升层次",
    "gender": "性别",
    "phone": "联系电话",
    "registered_on": "报名日期",
    "township": "街道/镇",
    "learning_mode": "学习方式",
    "education": "文化程度",
    "employer": "工作单位",
    "address": "家庭地址",
    "job": "职业",
    "household_location": "户籍所在地",
}
