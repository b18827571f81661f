"""At a school: the district's package (.asdist) read, shown and applied as one step.

A package is whole: it carries everything the district decides for this school as of the day it was made, so a lost
one is made good by the next and a gap in the numbers is only said, never a reason to refuse. What is refused, with
nothing changed: a package not signed by the district whose key this school registered, one for another school or
damaged, and one older than a package already applied (replayed, or made before a later one arrived). The same package
twice changes nothing.

Everything is applied in the caller's transaction, in this order: task numbers, rules, certificate wording, exam
rounds, exam results (as an import of the school's own, which 导入记录 can undo), the receipt. A preview
(`dry_run`) applies it all inside a savepoint and rolls it back, so what it shows is exactly what applying would do
(a new pass mark already counts for the results it previews).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import aspkg
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import DistrictImport, Level
from adultschool.services import audit, certificate_settings, exam_results, exam_rounds, permissions, rules, site
from adultschool.services import sync as school_sync
from adultschool.services.sheet_import import ImportReport
from adultschool.xlsx import Sheet

RESULT_HEADER = ("学籍号", "姓名", "课程", "成绩", "考试日期")
_MARK_TEXT = {"absent": "缺考", "cheating": "作弊"}


@dataclass
class DistrictPackageReport:
    """What a district package changed here (or, previewed, would change)."""

    district_code: str
    sequence: int
    made_at: str
    file_name: str
    dry_run: bool
    already: bool = False
    skipped: list[int] = field(default_factory=list)  # numbers between the last applied and this one, never seen here
    quotas: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    certificate: list[str] = field(default_factory=list)
    exam_rounds: list[str] = field(default_factory=list)
    results: ImportReport | None = None
    receipt: school_sync.ConfirmSummary | None = None

    @property
    def changes(self) -> int:
        return (len(self.quotas) + len(self.rules) + len(self.certificate) + len(self.exam_rounds)
                + (self.results.updated if self.results else 0)
                + (len(self.receipt.confirmed) if self.receipt else 0))

    def lines(self) -> list[str]:
        """The report in Chinese, section by section, as the preview dialog and the command line show it."""
        verb = "将" if self.dry_run else "已"
        head = f"分中心 {self.district_code} 第 {self.sequence} 号数据包（{local_text(self.made_at)} 生成）"
        if self.already:
            return [f"{head}：以前已经导入过，没有任何改动。"]
        out = [f"{head}{'导入后将有以下改动' if self.dry_run else '已导入'}："]
        if self.skipped:
            out.append(f"提醒：第 {_ranges(self.skipped)} 号没有在本校导入过。每个数据包都包含分中心当时的全部设定，"
                       "这个数据包已经带来了最新的内容，不必再找回那几个。")
        out += self.quotas + self.rules + self.certificate + self.exam_rounds
        if self.results is not None:
            r = self.results
            out.append(f"考试成绩：{len(r.rejected_rows) + r.imported} 条，{verb}记入新的或有改动的 {r.updated} 条，"
                       f"与本校已有的相同 {r.imported - r.updated} 条，未记入 {len(r.rejected_rows)} 条")
            out += [f"  成绩第 {p.row} 行（{p.column or '整行'}）：{p.reason}" for p in r.rejected]
            out += [f"  成绩第 {p.row} 行提醒：{p.reason}" for p in r.warnings]
        if self.receipt is not None:
            c = self.receipt
            if c.confirmed:
                out.append(f"回执：分中心确认收到本校第 {'、'.join(map(str, c.confirmed))} 号数据包")
            if c.missing:
                out.append(f"回执：分中心尚缺本校的数据包（{c.missing.text()}）：请重新发送，或生成完整数据包。")
            out += [f"回执：{school_sync.conflict_line(conflict)}" for conflict in c.conflicts]
        if self.changes == 0:
            out.append("与本校现有的设定相同，没有需要改动的地方。")
        return out

    def summary_line(self) -> str:
        if self.already:
            return f"district package {self.sequence}: already applied"
        verb = "would apply" if self.dry_run else "applied"
        results = self.results.updated if self.results else 0
        return (f"district package {self.sequence}: {verb} quotas {len(self.quotas)}, rules {len(self.rules)}, "
                f"certificate {len(self.certificate)}, exam rounds {len(self.exam_rounds)}, results {results}")


def local_text(moment: str) -> str:
    """The district's ISO time as this PC's wall clock (YYYY-MM-DD HH:MM); the text as given if it is not one."""
    try:
        return datetime.fromisoformat(moment).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return moment[:16]


def _ranges(numbers: list[int]) -> str:
    return f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 2 else "、".join(map(str, numbers))


def is_district_package(data: bytes) -> bool:
    """Whether `data` is a district package (by its header; nothing trusted yet)."""
    try:
        return aspkg.read_header(data).from_district
    except AdultSchoolError:
        return False


def _json_member(opened: aspkg.OpenedPackage, name: str, kind: type) -> Any:
    try:
        value = json.loads(opened.members[name])
    except KeyError:
        return kind()
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise AdultSchoolError(f"分中心数据包里的 {name} 格式不对，没有导入。请分中心用最新版本重新生成。")
    return value


def _quotas(given: dict[str, Any]) -> dict[str, dict[int, int]]:
    try:
        return {str(name): {int(year): int(quota) for year, quota in years.items()} for name, years in given.items()}
    except (AttributeError, TypeError, ValueError):
        raise AdultSchoolError("分中心数据包里的任务数表格式不对，没有导入。请分中心用最新版本重新生成。") from None


def _wordings(given: dict[str, Any]) -> dict[str, dict[str, object]]:
    levels = {level.value for level in Level}
    if any(key not in levels or not isinstance(value, dict) for key, value in given.items()):
        raise AdultSchoolError("分中心数据包里的证书措辞格式不对，没有导入。请分中心用最新版本重新生成。")
    return given


def _rounds(given: list[Any]) -> list[exam_rounds.RoundInfo]:
    try:
        return [exam_rounds.RoundInfo.from_json(item) for item in given]
    except (AttributeError, KeyError, TypeError, ValueError):
        raise AdultSchoolError("分中心数据包里的考试批次格式不对，没有导入。请分中心用最新版本重新生成。") from None


def _result_sheet(opened: aspkg.OpenedPackage) -> Sheet | None:
    raw = opened.members.get("results.jsonl", b"")
    rows: list[tuple[object, ...]] = [RESULT_HEADER]
    try:
        for line in raw.decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            score = _MARK_TEXT.get(item["mark"], item["score"])
            rows.append((item["student_number"], item["name"], item["course"], score, item.get("exam_date")))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise AdultSchoolError("分中心数据包里的成绩格式不对，没有导入。请分中心用最新版本重新生成。") from None
    return Sheet(name="分中心成绩", rows=rows) if len(rows) > 1 else None


def _last_applied(session: Session) -> DistrictImport | None:
    return session.execute(select(DistrictImport).order_by(DistrictImport.sequence.desc()).limit(1)).scalar()


def import_district_package(session: Session, data: bytes, *, file_name: str, actor: str, dry_run: bool = False,
                            today: date | None = None, job: JobContext | None = None) -> DistrictPackageReport:
    """Checks the district's package for this school and applies it whole (with `dry_run`, shows what it would do
    and changes nothing). One `sync.district_import` audit entry names what it changed."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.SYNC)
    info = site.require_school(session)
    district = school_sync.district_key(session)
    if district is None:
        raise AdultSchoolError("还没有登记分中心公钥，无法核对分中心的数据包。"
                               "请先用 “adultschool sync district-key 文件” 登记（数据上报 → 登记分中心公钥）。")
    job.report(0, 3, "核对签名")
    box_private = aspkg.school_box_private(school_sync.signing_key(session))
    opened = aspkg.open_district_package(data, district=district, school_code=info.code, box_private=box_private)
    header = opened.header
    sha = hashlib.sha256(data).hexdigest()
    report = DistrictPackageReport(district.code, header.sequence, header.created_at, file_name, dry_run)
    seen = session.execute(select(DistrictImport).where(DistrictImport.sha256 == sha)).scalar()
    if seen is not None:
        report.already = True
        return report
    last = _last_applied(session)
    if last is not None and header.sequence <= last.sequence:
        raise AdultSchoolError(
            f"这是分中心第 {header.sequence} 号数据包（{local_text(header.created_at)} 生成），本校已经导入过更新的"
            f"第 {last.sequence} 号（{local_text(last.made_at)} 生成），旧的数据包不再导入，以免把分中心的新设定改回去。"
            "如有疑问，请分中心重新生成一个。")
    report.skipped = list(range((last.sequence if last else 0) + 1, header.sequence))
    quotas = _quotas(_json_member(opened, "quotas.json", dict))
    rule_values = _json_member(opened, "rules.json", dict)
    wordings = _wordings(_json_member(opened, "certificate.json", dict))
    rounds = _rounds(_json_member(opened, "exam_rounds.json", list))
    receipt = _json_member(opened, "receipt.json", dict)
    sheet = _result_sheet(opened)

    job.report(1, 3, "应用分中心的设定")
    savepoint = session.begin_nested() if dry_run else None
    report.quotas = site.apply_district_quotas(session, quotas, actor=actor)
    if rule_values:
        report.rules = rules.apply_district_rules(session, rule_values, sequence=header.sequence, actor=actor)
    report.certificate = certificate_settings.apply_district_wordings(session, wordings, actor=actor)
    report.exam_rounds = exam_rounds.replace_from_district(session, rounds)
    job.report(2, 3, "记入考试成绩")
    if sheet is not None:
        report.results = exam_results.import_results(session, Path(f"{file_name}（成绩）"), actor=actor, allow_unapplied=True,
                                                     sheets=[sheet], today=today, job=job)
    if receipt:
        report.receipt = school_sync.apply_receipt_body(session, receipt, district_code=district.code, actor=actor)
    if savepoint is not None:
        savepoint.rollback()
        report.dry_run = True
        if report.results is not None:
            report.results.dry_run = True
        return report
    session.add(DistrictImport(sequence=header.sequence, made_at=header.created_at, file_name=file_name, sha256=sha,
                               summary=json.dumps(report.lines(), ensure_ascii=False), applied_by=actor))
    audit.record(session, actor=actor, action="sync.district_import", entity="district_imports",
                 summary=f"导入分中心第 {header.sequence} 号数据包“{file_name}”：{report.changes} 处改动",
                 after={"sequence": header.sequence, "made_at": header.created_at, "sha256": sha,
                        "quotas": len(report.quotas), "rules": len(report.rules),
                        "certificate": len(report.certificate), "exam_rounds": len(report.exam_rounds),
                        "results": report.results.updated if report.results else 0})
    session.flush()
    job.report(3, 3, "完成")
    return report


@dataclass(frozen=True)
class DistrictImportInfo:
    sequence: int
    made_at: str
    applied_at: Any
    file_name: str
    applied_by: str


def import_history(session: Session) -> list[DistrictImportInfo]:
    """At a school: the district packages applied here, newest first."""
    return [DistrictImportInfo(i.sequence, i.made_at, i.applied_at, i.file_name, i.applied_by)
            for i in session.execute(select(DistrictImport).order_by(DistrictImport.sequence.desc())).scalars()]
