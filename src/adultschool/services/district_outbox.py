"""The district talks back: a signed package for each school (.asdist), encrypted to that school.

It carries what the district decides for the school, as the district holds it now (each package is whole, so a lost
one is made good by the next): the task numbers of the school's townships, the rules (the district's values, and
which of them a school may set for itself), the certificate issuer and wording per level, the exam rounds, the
results the district scored for the school's learners, and the receipt (which packages arrived, what is missing, the
conflicts that concern the school and what the district decided). The school reads it with `sync import`
(services.district_inbox).

A school can be sent a package once a package of its own has arrived: that is where the district learns the key
(derived from the school's signing key) to encrypt to.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import aspkg, clock
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import DistrictExport, School, SyncSchool, Township, TownshipQuota
from adultschool.models.base import utcnow
from adultschool.outfiles import atomic_output
from adultschool.services import audit, certificate_settings, district_results, district_status, exam_rounds, permissions, rules, site

FILE_SUFFIX = ".asdist"
MEMBERS = ("quotas.json", "rules.json", "certificate.json", "exam_rounds.json", "results.jsonl", "receipt.json")


@dataclass(frozen=True)
class DistrictExportSummary:
    school_code: str
    school_name: str
    sequence: int
    path: Path
    counts: dict[str, int]

    def line(self) -> str:
        c = self.counts
        return (f"学校 {self.school_name}（{self.school_code}）第 {self.sequence} 号：任务数 {c['quotas']} 项，"
                f"规则 {c['rules']} 条，证书措辞 {c['certificate']} 个层次，考试批次 {c['exam_rounds']} 个，"
                f"成绩 {c['results']} 条，冲突 {c['conflicts']} 个 → {self.path}")


@dataclass
class DistrictExportAll:
    made: list[DistrictExportSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # Chinese: which school and why


def _roster_entry(session: Session, code: str) -> tuple[SyncSchool, str]:
    """The school on the district's roster that may be sent a package, and its box key (the package is sealed to it)."""
    school = session.execute(select(SyncSchool).where(SyncSchool.code == code)).scalar()
    if school is None:
        raise AdultSchoolError(f"学校 {code} 不在本分中心的学校名册上，不能给它生成数据包。")
    if school.retired_at is not None:
        raise AdultSchoolError(f"学校 {code}（{school.name}）已停用，不再给它生成数据包。")
    if not school.box_key:
        raise AdultSchoolError(
            f"还没有收到学校 {code}（{school.name}）用本版本程序生成的数据包，不知道用什么密钥给它加密。"
            "请学校先发送一个数据包（数据上报 → 生成数据包），导入后再生成给它的数据包。")
    return school, school.box_key


def school_townships(session: Session, school: SyncSchool) -> list[str]:
    """The townships the district knows the school serves: from the roster and from the school's own packages."""
    names = list(json.loads(school.townships)) if school.townships else []
    for name in session.execute(select(Township.name).join(School, School.id == Township.school_id)
                                .where(School.code == school.code).order_by(Township.name)).scalars():
        if name not in names:
            names.append(name)
    return names


def quotas_for(session: Session, townships: list[str]) -> dict[str, dict[str, int]]:
    given: dict[str, dict[str, int]] = {}
    for name, year, quota in session.execute(
            select(Township.name, TownshipQuota.year, TownshipQuota.quota)
            .join(TownshipQuota, TownshipQuota.township_id == Township.id).where(Township.name.in_(townships))):
        given.setdefault(name, {})[str(year)] = quota
    return given


def build_members(session: Session, school: SyncSchool) -> tuple[dict[str, bytes], dict[str, int]]:
    """The package's members for one school, and how much each carries."""
    quotas = quotas_for(session, school_townships(session, school))
    rule_values = rules.rules_for_schools(session)
    wording = certificate_settings.wordings_for_schools(session)
    rounds = [r.as_json() for r in exam_rounds.list_rounds(session)]
    results = district_results.results_for_school(session, school.code)
    receipt = district_status.receipt_body(session, school.code)

    def dumped(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()

    lines = b"".join(json.dumps({"student_number": r.student_number, "name": r.name, "course": r.course,
                                 "mark": r.mark.value, "score": r.score,
                                 "exam_date": r.exam_date.isoformat() if r.exam_date else None},
                                ensure_ascii=False, sort_keys=True).encode() + b"\n" for r in results)
    members = {"quotas.json": dumped(quotas), "rules.json": dumped(rule_values), "certificate.json": dumped(wording),
               "exam_rounds.json": dumped(rounds), "results.jsonl": lines, "receipt.json": dumped(receipt)}
    counts = {"quotas": sum(len(y) for y in quotas.values()), "rules": len(rule_values["values"]),
              "certificate": len(wording), "exam_rounds": len(rounds), "results": len(results),
              "conflicts": len(receipt["conflicts"])}
    return members, counts


def suggested_file_name(session: Session, school_code: str, today: date | None = None) -> str:
    school = session.execute(select(SyncSchool).where(SyncSchool.code == school_code)).scalar()
    sequence = (school.district_sequence or 0) + 1 if school else 1
    name = school.name if school else school_code
    return f"分中心给{name}-{school_code}-{(today or clock.today()).isoformat()}-第{sequence}号{FILE_SUFFIX}"


def export_for_school(session: Session, school_code: str, out: Path, *, keys: aspkg.DistrictKeyPair,
                      actor: str) -> DistrictExportSummary:
    """The next district package for one school, written to `out` (atomically, after everything is checked)."""
    permissions.require(session, actor, permissions.SYNC)
    info = site.require_district(session)
    school, box_key = _roster_entry(session, school_code)
    members, counts = build_members(session, school)
    sequence = (school.district_sequence or 0) + 1
    manifest = {"district_name": info.name, "school_name": school.name, "counts": counts,
                "members_carried": list(MEMBERS)}
    data = aspkg.write_district_package(district=keys, school_code=school.code,
                                       school_box=base64.b64decode(box_key), sequence=sequence,
                                       created_at=utcnow().isoformat(), manifest=manifest, members=members)
    school.district_sequence = sequence
    school.last_receipt_at = utcnow()
    session.add(DistrictExport(school_code=school.code, sequence=sequence, file_name=Path(out).name,
                               counts=json.dumps(counts, ensure_ascii=False), made_by=actor))
    audit.record(session, actor=actor, action="sync.district_export", entity="district_exports",
                 summary=f"生成给学校 {school.code}（{school.name}）的第 {sequence} 号分中心数据包：{Path(out).name}",
                 after={"school_code": school.code, "sequence": sequence, "counts": counts})
    session.flush()
    with atomic_output(out, opened_in="其他程序") as part:
        part.write_bytes(data)
    return DistrictExportSummary(school.code, school.name, sequence, Path(out), counts)


def export_for_all(session: Session, out_dir: Path, *, keys: aspkg.DistrictKeyPair, actor: str,
                   job: JobContext | None = None) -> DistrictExportAll:
    """A package for every active school on the roster into `out_dir`; schools that cannot have one yet (no package
    of theirs arrived) are named with the reason. All in the caller's transaction: cancelled, nothing is recorded
    (files already written stay, each whole, and are made again with the same numbers next time)."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.SYNC)
    site.require_district(session)
    result = DistrictExportAll()
    schools = list(session.execute(select(SyncSchool).where(SyncSchool.retired_at.is_(None))
                                   .order_by(SyncSchool.code)).scalars())
    if not schools:
        raise AdultSchoolError("本分中心的学校名册是空的：先用 “adultschool sync schools add 学校代码 --name 名称” 登记学校。")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for number, school in enumerate(schools, start=1):
        job.check_cancelled()
        job.report(number - 1, len(schools), f"生成给 {school.name} 的数据包")
        if not school.box_key:
            result.skipped.append(f"学校 {school.code}（{school.name}）：还没有收到它用本版本程序生成的数据包，暂不能生成。")
            continue
        name = suggested_file_name(session, school.code)
        result.made.append(export_for_school(session, school.code, Path(out_dir) / name, keys=keys, actor=actor))
    job.report(len(schools), len(schools), "完成")
    return result


@dataclass(frozen=True)
class DistrictExportInfo:
    school_code: str
    sequence: int
    created_at: Any
    file_name: str
    counts: dict[str, int]


def export_history(session: Session, school_code: str | None = None) -> list[DistrictExportInfo]:
    query = select(DistrictExport).order_by(DistrictExport.created_at.desc(), DistrictExport.id.desc())
    if school_code:
        query = query.where(DistrictExport.school_code == school_code)
    return [DistrictExportInfo(e.school_code, e.sequence, e.created_at, e.file_name, json.loads(e.counts))
            for e in session.execute(query).scalars()]
