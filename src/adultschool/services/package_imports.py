"""The district's 导入数据包 over several files as one action: each package in its own transaction (a refusal is kept
as a line and the next package still goes in; a cancel rolls back the package in progress and leaves the ones
merged), and the words both the window and the command line show for each file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from adultschool import aspkg
from adultschool.db import unit_of_work
from adultschool.errors import AdultSchoolError, Cancelled, os_error_text
from adultschool.jobs import JobContext
from adultschool.services import district
from adultschool.services.district import PackageReport
from adultschool.services.district_schools import KeyNotAccepted

# What each travelling table is called on screen, in the order a clerk thinks of them.
TABLE_LABELS: dict[str, str] = {
    "learners": "学员",
    "enrolments": "学籍",
    "attendance": "考勤",
    "study_records": "线上学习记录",
    "classes": "班级",
    "class_members": "班级成员",
    "class_sessions": "上课安排",
    "exam_applications": "考试申请",
    "exam_results": "考试成绩",
    "certificates": "毕业证书",
    "certificate_prints": "证书打印记录",
    "skill_certificates": "职业技能证书",
    "videos": "学习视频",
    "townships": "街道/镇",
    "township_quotas": "任务数",
    "township_counts": "推荐与培训人数",
    "schools": "学校",
}

def table_label(name: str) -> str:
    return TABLE_LABELS.get(name, name)


def counts_text(counts: dict[str, int]) -> str:
    """'学员 5，学籍 5，考勤 120' — the tables that have rows, in TABLE_LABELS order."""
    order = {name: number for number, name in enumerate(TABLE_LABELS)}
    shown = sorted((name for name, count in counts.items() if count), key=lambda n: (order.get(n, len(order)), n))
    return "，".join(f"{table_label(name)} {counts[name]}" for name in shown) or "没有改动的数据"



def read_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AdultSchoolError(f"无法读取{what}“{Path(path).name}”：{os_error_text(exc)}") from None


@dataclass(frozen=True)
class PackageOutcome:
    """One file of an import: its report, or why it was not imported."""

    path: Path
    report: PackageReport | None
    error: str | None = None
    refusal: AdultSchoolError | None = None  # the service's refusal itself (a key to accept, a school not listed)

    @property
    def key_to_accept(self) -> KeyNotAccepted | None:
        return self.refusal if isinstance(self.refusal, KeyNotAccepted) else None


class _OnePackageJob:
    """Progress of one package inside a run of several: package n's table k is step n × tables + k."""

    def __init__(self, job: JobContext, number: int, count: int, name: str):
        self._job, self._number, self._count, self._name = job, number, count, name

    def report(self, done: int, total: int | None, text: str = "") -> None:
        steps = total or 1
        self._job.report(self._number * steps + min(done, steps), self._count * steps,
                         f"正在导入 {self._name}（第 {self._number + 1}/{self._count} 个）：{text}")

    def check_cancelled(self) -> None:
        self._job.check_cancelled()


def import_packages(engine: Engine, paths: list[Path], keys: aspkg.DistrictKeyPair, *, who: str,
                    job: JobContext) -> list[PackageOutcome]:
    """Each package in its own transaction; a refusal is kept as a line and the next package still goes in.
    A cancel stops after rolling back the package in progress; the ones already merged stay."""
    outcomes: list[PackageOutcome] = []
    for number, path in enumerate(paths):
        try:
            data = read_file(path, "数据包")
            with unit_of_work(engine) as session:
                report = district.import_package(session, data, file_name=path.name, keys=keys, actor=who,
                                                 job=_OnePackageJob(job, number, len(paths), path.name))
            outcomes.append(PackageOutcome(path, report))
        except Cancelled:
            outcomes.extend(PackageOutcome(p, None, "已取消，没有导入。") for p in paths[number:])
            break
        except AdultSchoolError as exc:
            outcomes.append(PackageOutcome(path, None, str(exc), exc))
    return outcomes


def outcome_lines(outcome: PackageOutcome) -> list[tuple[str, str]]:
    """(kind, text) lines for one file: kind is 'ok', 'warning' or 'error'."""
    report = outcome.report
    if report is None:
        return [("error", f"✘ {outcome.path.name}：未导入。{outcome.error}")]
    kind = "完整" if report.full else "增量"
    head = f"✔ {report.school_name}（{report.school_code}）第 {report.sequence} 号（{kind}）"
    if report.already:
        lines = [("ok", f"{head}：以前已经导入过，没有任何改动。［{outcome.path.name}］")]
    else:
        lines = [("ok", f"{head}：新增 {report.total('inserted')}，更新 {report.total('updated')}，"
                        f"未变 {report.total('unchanged')}，暂缓 {report.total('held')}［{outcome.path.name}］")]
        changed = [f"{table_label(name)} {c.inserted + c.updated}" for name, c in report.tables.items()
                   if c.inserted + c.updated]
        if changed:
            lines.append(("ok", "    新增或更新：" + "，".join(changed)))
    if report.key_registered:
        lines.append(("ok", f"    签名密钥与登记的指纹 {report.key_registered} 一致，已记下。"))
    for line in report.refused_lines(shown=10):
        lines.append(("warning", f"    {line}"))
    if report.new_conflicts:
        lines.append(("warning", f"    新冲突 {report.new_conflicts} 个（同一人在两所学校登记），相关数据暂缓合并，请到“冲突”页处理。"))
    for line in report.closed_conflicts:
        lines.append(("ok", f"    {line}"))
    if report.missing:
        lines.append(("warning", f"    该校的数据包{report.missing.text()}：请学校重新发送，或生成完整数据包。"))
    for warning in report.warnings:
        lines.append(("warning", f"    提醒：{warning}"))
    return lines


