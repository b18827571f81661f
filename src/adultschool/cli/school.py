"""The school's commands: set-up, registration, survey, classes, attendance, study, readiness, exams, printing."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE, Adder, actor, add_list_file_options, add_list_output, date_arg, emit,
    is_list_file, level_arg, need, open_db, print_table, time_arg, write_list_file,
)
from adultschool.cli import audit_log as audit_log_commands
from adultschool.cli.choices import FORM_KINDS, PROTECTION_WORDS, PROTECTIONS, add_choice, choice_arg, choice_metavar
from adultschool.cli import quotas as quota_commands
from adultschool.cli import learner_record as record_commands
from adultschool.cli import learners_edit
from adultschool.cli import certificate_config as certificate_commands
from adultschool.cli import classes as class_commands
from adultschool.cli import enrolments as enrolment_commands
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import ConsoleJob
from adultschool.models import ClassType, EnrolmentStatus, Level, SiteKind
from adultschool.services import (
    disclosure,
    maintenance,
    classes,
    demo,
    district_results,
    exam_rounds,
    learners,
    lists,
    readiness,
    roster,
    rules,
    site,
    statistics,
    study,
    survey,
    exam_applications,
    exam_reports,
    exam_results,
    graduation,
)
from adultschool.services.permissions import Permission
from adultschool.services import mappings
from adultschool.services.sheet_import import ColumnsNotFound, ImportReport, save_rejected
from adultschool.services import sync as sync_service

log = logging.getLogger(__name__)

# --- commands -------------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    if bool(args.district) == bool(args.school_code):
        raise AdultSchoolError("请给出 --school-code 和 --school-name（学校），或 --district 代码（区级分中心），二者选一。")
    if args.school_code and not args.school_name:
        raise AdultSchoolError("请用 --school-name 给出学校名称。")
    db = open_db(args, create=True)
    with unit_of_work(db.engine) as session:
        if args.district:
            info = site.initialise(session, kind=SiteKind.DISTRICT, code=args.district,
                                   name=args.school_name or f"分中心 {args.district}", actor=actor(args))
        else:
            info = sync_service.initialise_school(session, code=args.school_code, name=args.school_name,
                                                  townships=args.township, actor=actor(args))
            fingerprint = sync_service.own_fingerprint(session)
    print(f"数据库：{db.describe()}")
    if not args.district:
        print(f"本校签名密钥指纹：{fingerprint}（分中心第一次收到数据包时会核对）")
    print(f"initialised {info.kind.value} {info.code} {info.name}, townships {len(args.township or [])}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    db = open_db(args, create=True)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:
        summary = demo.fill_demo(session, learners=args.learners, actor=actor(args), job=job)
    job.finish()
    print(f"数据库：{db.describe()}  学校：{summary.school}")
    print(f"demo: registered {summary.registered}, prospects {summary.prospects}, townships {summary.townships}, "
          f"classes {summary.classes}, attendance {summary.attendance}, study records {summary.study_records}")
    return EXIT_OK


def _print_import_report(report: ImportReport) -> None:
    print(f"文件：{report.file}  工作表：{report.sheet}  表头在第 {report.header_row} 行，数据 {report.rows_read} 行")
    for problem in report.warnings:
        column = f"[{problem.column}] " if problem.column else ""
        print(f"提醒 第 {problem.row} 行 {column}{problem.reason}")
    for problem in report.rejected:
        column = f"[{problem.column}] " if problem.column else ""
        print(f"未导入 第 {problem.row} 行 {column}{problem.reason}")


def _finish_import(report: ImportReport, errors_out: Path | None) -> int:
    _print_import_report(report)
    if errors_out is not None and report.rejected:
        print(f"未导入的行已写入 {errors_out}")
    if report.batch_id is not None:
        print(f"这次导入的编号是 {report.batch_id}：导错了可以用 adultschool imports undo {report.batch_id} --reason 原因 撤销。")
    print(report.summary_line())
    return EXIT_SOME_REJECTED if report.rejected else EXIT_OK


def _run_import(args: argparse.Namespace, run: Callable[[Session, ConsoleJob], ImportReport]) -> int:
    """One transaction for the whole file; the report, the errors file and the exit status as DESIGN.md says.

    The errors workbook is written before the commit: if it cannot be written, nothing is imported (and the clerk is
    told so), never a committed import reported as failed."""
    db = open_db(args)
    job = ConsoleJob()
    try:
        with unit_of_work(db.engine) as session:
            report = run(session, job)
            if args.errors is not None and report.rejected:
                try:
                    save_rejected(report, args.errors)
                except AdultSchoolError as exc:
                    raise AdultSchoolError(f"{exc.message} 因此这次什么也没有导入：请换一个能写入的位置（--errors）再导入。") from None
                except OSError as exc:
                    raise AdultSchoolError(f"未导入行的文件 {args.errors} 写不进去（{os_error_text(exc)}）。"
                                           "因此这次什么也没有导入：请换一个能写入的位置（--errors）再导入。") from None
    except ColumnsNotFound as exc:  # the header lacks columns: show it, and what --map would say
        job.finish()
        print(f"错误：{exc}", file=sys.stderr)
        print(columns_help(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    job.finish()
    return _finish_import(report, args.errors)


def _mapping(session: Session, args: argparse.Namespace, kind: str, columns) -> dict[str, str] | None:  # noqa: ANN001
    """--mapping NAME and --map 身份证号码=证件号码 … as field → header (None: the names, or a kept mapping, decide)."""
    if not args.map and not args.mapping:
        return None
    return mappings.resolve(session, kind, columns, pairs=args.map or (), name=args.mapping)


def columns_help(exc: ColumnsNotFound) -> str:
    """The sheet's header row and, for each column the import needs, the best guess: what --map would say."""
    proposal = exc.proposal
    lines = [f"工作表“{exc.sheet_name}”第 {proposal.row} 行的表头：" + "、".join(
        f"{chr(65 + i) if i < 26 else i + 1}“{h}”" for i, h in enumerate(proposal.headers) if h)]
    wanted = [c for c in exc.columns if c.required]
    pairs = [f"{c.label}={proposal.headers[proposal.guesses[c.field]]}" for c in wanted
             if proposal.guesses.get(c.field) is not None]
    missing = [c.label for c in wanted if proposal.guesses.get(c.field) is None]
    if pairs:
        lines.append("可以这样指定（请核对）：" + " ".join(f"--map {p}" for p in pairs))
    if missing:
        lines.append("找不到像" + "、".join(f"“{m}”" for m in missing) + "的列：请用 --map 列名=表里的列名 指定。")
    return "\n".join(lines)


def cmd_roster_import(args: argparse.Namespace) -> int:
    return _run_import(args, lambda session, job: roster.import_roster(
        session, args.file, registered_on=args.registered_on or clock.today(), township=args.township,
        actor=actor(args), dry_run=args.dry_run, job=job,
        mapping=_mapping(session, args, "roster", roster.ROSTER_COLUMNS), mapping_name=args.save_mapping))


def cmd_roster_export(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:  # the export of full ID numbers is audited
        exported = roster.export_roster(session, args.out, level=args.level, job=ConsoleJob(), actor=actor(args),
                                        protection=disclosure.parse_protection(args.protect or "plain"))
    _print_exported(exported)
    print(f"exported {exported.count} to {args.out}")
    return EXIT_OK


def cmd_survey_import(args: argparse.Namespace) -> int:
    return _run_import(args, lambda session, job: survey.import_survey(
        session, args.file, actor=actor(args), surveyed_on=args.surveyed_on or clock.today(),
        township=args.township, dry_run=args.dry_run, job=job,
        mapping=_mapping(session, args, "survey", survey.SURVEY_COLUMNS), mapping_name=args.save_mapping))


def cmd_survey_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    need(args, Permission.VIEW_LEARNERS)
    with read_session(db.engine) as session:
        if args.progress:
            progress = survey.survey_progress(session)
            records = [{"township": p.township, "surveyed": p.surveyed, "willing": p.willing,
                        "registered": p.registered, "not_registered": p.surveyed - p.registered} for p in progress]
            emit(args.format, ["街道/镇", "已排摸", "愿意提升", "已报名", "未报名"],
                  ["township", "surveyed", "willing", "registered", "not_registered"], records, out=args.out)
            return EXIT_OK
        rows = survey.list_prospects(session, township=args.township, include_registered=args.all)
    records = [r.as_json() for r in rows]
    for record, row in zip(records, rows):
        record["willingness_label"] = {"yes": "愿意", "no": "不愿意", "undecided": "待定"}.get(row.willingness or "", "")
    if args.format == "json":
        emit("json", [], [], [r.as_json() for r in rows], out=args.out)
    else:
        emit(args.format, ["街道/镇", "姓名", "性别", "年龄", "身份证号码", "文化程度", "工作单位", "意愿", "意向学习方式"],
              ["township", "name", "gender", "age", "id_number", "education", "employer", "willingness_label",
               "preferred_learning"], records, out=args.out)
    return EXIT_OK


def cmd_learners_list(args: argparse.Namespace) -> int:
    flt = learners.LearnerFilter(search=args.search, level=args.level,
                                 status=EnrolmentStatus(args.status) if args.status else None)
    if is_list_file(args.out):
        return write_list_file(args, lists.LearnerList(flt))
    db = open_db(args)
    need(args, Permission.VIEW_LEARNERS)
    # Showing full ID numbers is audited, so that listing runs in a write transaction.
    with (unit_of_work if args.unmasked else read_session)(db.engine) as session:
        rows = learners.list_learners(session, flt, unmasked=args.unmasked, limit=args.limit, actor=actor(args))
    if args.unmasked:
        log.info("learners list --unmasked by %s: %d rows", actor(args), len(rows))
    records = [r.as_json() for r in rows]
    if args.format == "table":
        for record in records:
            record["gender"] = {"male": "男", "female": "女"}[record["gender"]]
            record["level"] = Level(record["level"]).label
            record["status"] = EnrolmentStatus(record["status"]).label
    emit(args.format, ["学籍号", "姓名", "性别", "身份证号码", "层次", "状态", "报名日期", "街道/镇"],
          ["student_number", "name", "gender", "id_number", "level", "status", "registered_on", "township"], records,
         out=args.out)
    if not records and args.format == "table" and args.out is None:
        print(f"没有符合条件的学员（搜索“{args.search}”：可输入姓名、拼音或首字母、身份证号、电话或学籍号的一部分）。"
              if args.search else "没有符合条件的学员。")
    return EXIT_OK


def cmd_rules_show(args: argparse.Namespace) -> int:
    from adultschool.rule_defaults import RULE_SPECS

    db = open_db(args)
    with read_session(db.engine) as session:
        current = rules.load_rules(session)
        locked = rules.locked_keys(session)
        at_district = site.get_site(session).kind is SiteKind.DISTRICT
        may_change = rules.school_may_change(session) if at_district else frozenset()

    def who(key: str) -> str:
        if at_district:
            return "学校可自行设定" if key in may_change else "分中心统一规定"
        return "分中心统一规定" if key in locked else "本校可设定"

    print_table(["规则", "键", "当前值", "默认值", "来源", "由谁设定"], [
        [s.label, s.key, json.dumps(current.values[s.key], ensure_ascii=False),
         json.dumps(s.default, ensure_ascii=False), s.source, who(s.key)] for s in RULE_SPECS
    ])
    return EXIT_OK


def cmd_rules_allow(args: argparse.Namespace, *, allowed: bool = True) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        after = rules.set_school_may_change(session, args.keys, allowed=allowed, actor=actor(args))
    verb = "学校可自行设定" if allowed else "改为分中心统一规定"
    print(f"{verb}：{'、'.join(args.keys)}。各学校导入下一个分中心数据包后生效。")
    print(f"school may change {len(after)} rules")
    return EXIT_OK


def cmd_rules_lock(args: argparse.Namespace) -> int:
    return cmd_rules_allow(args, allowed=False)


def cmd_exam_rounds_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = exam_rounds.add_round(session, args.name, held_on=args.date, site_name=args.site,
                                     level=Level(args.level) if args.level else None, courses=args.course,
                                     apply_by=args.apply_by, note=args.note, actor=actor(args))
    print(f"已新增考试批次 {info.line()}。随下一个分中心数据包发给各学校。")
    print(f"added round {info.name}")
    return EXIT_OK


def cmd_exam_rounds_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        found = exam_rounds.list_rounds(session)
    print_table(["考试批次", "日期", "考点", "层次", "科目", "申请截止"],
                [[r.name, r.held_on, r.site, r.level_text, r.courses_text, r.apply_by or ""] for r in found])
    print(f"rounds {len(found)}")
    return EXIT_OK


def cmd_exam_rounds_remove(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = exam_rounds.remove_round(session, args.name, actor=actor(args))
    print(f"已删除考试批次“{info.name}”。各学校导入下一个分中心数据包后随之删除。")
    print(f"removed round {info.name}")
    return EXIT_OK


def cmd_exam_results_remove(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        removed = district_results.remove_source(session, args.file, reason=args.reason, actor=actor(args))
    print(f"已撤回来自“{args.file}”的成绩 {removed} 条。已经导入这些成绩的学校请在 学员 → 导入记录与撤销 中撤销那次导入；"
          "之后的分中心数据包不再带这些成绩。")
    print(f"removed results {removed}")
    return EXIT_OK


def cmd_rules_set(args: argparse.Namespace) -> int:
    try:
        value = json.loads(args.value)
    except json.JSONDecodeError:
        value = args.value  # a bare word such as 03-31
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        rules.set_rule(session, args.key, value, actor=actor(args))
    print(f"规则 {args.key} 已改为 {json.dumps(value, ensure_ascii=False)}。")
    print(f"rule {args.key} set to {json.dumps(value, ensure_ascii=False)}")
    return EXIT_OK


def cmd_township_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = site.get_site(session)
        site.add_township(session, args.name, school_code=info.code if info.kind is SiteKind.SCHOOL else None,
                          actor=actor(args))
        if args.quota is not None:
            site.set_quota(session, args.name, args.year or clock.today().year, args.quota, actor=actor(args))
    print(f"已添加街道/镇“{args.name}”。")
    print(f"added township {args.name}")
    return EXIT_OK


def cmd_township_quota(args: argparse.Namespace) -> int:
    db = open_db(args)
    year = args.year or clock.today().year
    with unit_of_work(db.engine) as session:
        site.set_quota(session, args.name, year, args.quota, actor=actor(args))
    print(f"{args.name} {year} 年任务数已设为 {args.quota}。")
    print(f"quota {args.name} {year} set to {args.quota}")
    return EXIT_OK


def cmd_township_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = site.list_townships(session)
    print_table(["街道/镇", "负责学校", "任务数"], [
        [t.name, t.school_code or "", "，".join(f"{y}年 {q}" for y, q in sorted(t.quotas.items()))] for t in rows
    ])
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        report = maintenance.verify_audit(session, db.path, backup_files=args.backup or ())
    result = report.verification
    if not result.intact:
        print(f"审计记录被改动或删除：第 {result.broken_at} 条起对不上。", file=sys.stderr)
    for reason in report.cut_short:
        print(f"cut short: {reason}", file=sys.stderr)
    if not report.intact:
        return EXIT_SOME_REJECTED
    for anchor in report.anchors:
        print(f"anchor {anchor.source.strip()}: {anchor.head.entries} entries")
    print(f"审计记录完整：共 {result.entries} 条，已与 {len(report.anchors)} 个锚点核对。")
    print(f"audit chain intact, {result.entries} entries, checked against {len(report.anchors)} anchors")
    return EXIT_OK


def cmd_class_create(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        info = classes.create_class(session, name=args.name, class_type=classes.parse_class_type(args.type), level=args.level,
                                    starts_on=args.starts_on or clock.today(), teaching_site=args.site, teacher=args.teacher,
                                    actor=actor(args))
    print(f"已建立班级“{info.name}”。")
    print(f"created class {info.name}")
    return EXIT_OK


def cmd_class_list(args: argparse.Namespace) -> int:
    db = open_db(args)
    with read_session(db.engine) as session:
        rows = classes.list_classes(session)
    print_table(["班级", "类型", "层次", "教学点", "任课教师", "开班日期", "学员", "课次"], [
        [c.name, ClassType(c.class_type).label, Level(c.level).label, c.teaching_site, c.teacher, c.starts_on, c.members, c.sessions]
        for c in rows
    ])
    return EXIT_OK


def cmd_class_add_learners(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school_class = classes.find_class(session, args.name)
        added = classes.add_members(session, school_class.id, args.student_numbers, joined_on=args.joined_on or clock.today(),
                                    actor=actor(args))
    print(f"已把 {added} 名学员加入“{args.name}”。")
    print(f"added {added} to {args.name}")
    return EXIT_OK


def cmd_class_session(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        school_class = classes.find_class(session, args.name)
        info = classes.create_session(session, school_class.id, held_on=args.date, hours=args.hours, course=args.course,
                                      topic=args.topic, starts_at=args.start, actor=actor(args))
    print(f"已添加“{args.name}” {info.held_on} 的课（{info.hours:g} 课时）。")
    print(f"created session {args.name} {info.held_on} {info.hours:g} h")
    return EXIT_OK


def cmd_attendance_import(args: argparse.Namespace) -> int:
    return _run_import(args, lambda session, job: classes.import_attendance(
        session, args.file, actor=actor(args), dry_run=args.dry_run, job=job, class_name=args.class_name,
        hours=args.hours, mapping=_mapping(session, args, "attendance", classes.ATTENDANCE_COLUMNS),
        mapping_name=args.save_mapping))


def cmd_study_import(args: argparse.Namespace) -> int:
    return _run_import(args, lambda session, job: study.import_study(
        session, args.file, actor=actor(args), dry_run=args.dry_run, job=job,
        mapping=_mapping(session, args, "study", study.STUDY_COLUMNS), mapping_name=args.save_mapping))


def cmd_readiness(args: argparse.Namespace) -> int:
    as_of = args.as_of or clock.today()
    if is_list_file(args.out):
        return write_list_file(args, lambda session: lists.ReadinessList(
            as_of, level=args.level, class_id=classes.find_class(session, args.class_name).id if args.class_name else None,
            state=lists.READY if args.ready_only else lists.ALL))
    db = open_db(args)
    need(args, Permission.VIEW_LEARNERS)
    with (unit_of_work if args.unmasked else read_session)(db.engine) as session:  # unmasking is audited
        class_id = classes.find_class(session, args.class_name).id if args.class_name else None
        rows = readiness.readiness(session, as_of, level=args.level, class_id=class_id, unmasked=args.unmasked,
                                   actor=actor(args))
    if args.ready_only:
        rows = [r for r in rows if r.ready]
    if args.format == "json":
        emit("json", [], [], [r.as_json() for r in rows], out=args.out)
        return EXIT_OK
    records = []
    for r in rows:
        record = r.as_json()
        if args.format == "table":
            record.update(level=Level(r.level).label, ready="是" if r.ready else "否", missing="；".join(r.missing))
        else:
            record.update(missing="；".join(r.missing))
        records.append(record)
    keys = ["student_number", "name", "id_number", "level", "registered_on", "months_done", "video_hours", "class_hours",
            "ready", "ready_on", "missing"]
    emit(args.format, ["学籍号", "姓名", "身份证号码", "层次", "注册日期", "已学月数", "视频学时", "面授课时", "可报考", "可报考日期",
                        "还差"], keys, records, out=args.out)
    if args.format == "table" and args.out is None:
        print(f"{as_of}：共 {len(rows)} 个学籍，可报考 {sum(r.ready for r in rows)} 个")
    return EXIT_OK


def cmd_totals_rebuild(args: argparse.Namespace) -> int:
    db = open_db(args)
    if args.check:
        with read_session(db.engine) as session:
            kept, computed = study.kept_totals(session), study.computed_totals(session)
        differing = sorted(e for e in computed if kept.get(e) != computed[e])
        if differing:
            print(f"{len(differing)} 个学籍的累计学时与原始记录不符（例如学籍内部编号 {differing[:5]}）："
                  "请运行 adultschool totals rebuild。", file=sys.stderr)
            return EXIT_SOME_REJECTED
        print(f"{len(computed)} 个学籍的累计学时与原始记录一致。")
        print(f"totals match the records for {len(computed)} enrolments")
        return EXIT_OK
    with unit_of_work(db.engine) as session:
        count = study.rebuild_totals(session, actor=actor(args))
    print(f"已按原始记录重算 {count} 个学籍的累计学时。")
    print(f"rebuilt totals for {count} enrolments")
    return EXIT_OK


def cmd_exam_apply(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        done = exam_applications.apply_and_write_list(session, args.as_of, args.out, actor=actor(args), round_name=args.round,
                                                      student_numbers=args.student_number or None,
                                                      protection=disclosure.parse_protection(args.protect or "password"))
    for line in done.lines():
        print(line)
    print(f"applied {len(done.rows)}")
    return EXIT_OK


def cmd_exam_results_import(args: argparse.Namespace) -> int:
    return _run_import(args, lambda session, job: exam_results.import_results(
        session, args.file, actor=actor(args), dry_run=args.dry_run, allow_unapplied=args.allow_unapplied, job=job,
        mapping=_mapping(session, args, "results", exam_results.RESULT_COLUMNS), mapping_name=args.save_mapping))


def cmd_graduate(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        report = graduation.graduate(session, args.as_of or clock.today(), actor=actor(args), dry_run=args.dry_run)
    verb = "将毕业" if args.dry_run else "毕业"
    for number, name, certificate in report.graduated:
        print(f"{verb} {number} {name} 证书编号 {certificate}")
    for number, name, reason in report.held_back:
        print(f"暂不毕业 {number} {name}：{reason}")
    if args.dry_run:
        print(f"would graduate {len(report.graduated)}, held back {len(report.held_back)}")
        print("（预览：没有办理毕业）")
        return EXIT_OK
    print(f"graduated {len(report.graduated)}, held back {len(report.held_back)}")
    return EXIT_OK


def cmd_skill_add(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        graduation.record_skill_certificate(session, student_number=args.student_number, name=args.name, number=args.number,
                                            issued_on=args.issued_on, actor=actor(args))
    print(f"已登记职业技能证书 {args.number}。")
    print(f"recorded skill certificate {args.number}")
    return EXIT_OK


def cmd_report_credit_bank(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = exam_reports.write_credit_bank(session, args.out, actor=actor(args),
                                                  protection=disclosure.parse_protection(args.protect or "password"))
    _print_exported(exported)
    print(f"exported {exported.count} results to {args.out}")
    return EXIT_OK


def cmd_report_household(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = exam_reports.write_household(session, args.out, actor=actor(args),
                                                protection=disclosure.parse_protection(args.protect or "password"))
    _print_exported(exported)
    print(f"exported {exported.count} graduates to {args.out}")
    return EXIT_OK


def cmd_report_statistics(args: argparse.Namespace) -> int:
    db = open_db(args)
    year = args.year or clock.today().year
    job = ConsoleJob()
    with read_session(db.engine) as session:
        stats = statistics.write_statistics(session, args.out, year=year, actor=actor(args), job=job)
    job.finish()
    print(f"{year}年统计已写入 {args.out}：报名 {stats.total_registered} 人，毕业 {sum(stats.graduated.values())} 人")
    print(f"statistics {year}: registered {stats.total_registered}, graduated {sum(stats.graduated.values())}")
    return EXIT_OK


def cmd_print_certificates(args: argparse.Namespace) -> int:
    from adultschool.services import documents  # reportlab and the QR encoder: only for the commands that print

    if args.reason and not args.reprint:
        raise AdultSchoolError("--reason 只用于补发（--reprint）。")
    db = open_db(args)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:
        layout = certificate_commands.layout_from(args)
        write = documents.preview_certificates if args.preview else documents.print_certificates
        printed = write(session, args.out, actor=actor(args), student_numbers=args.student_number or None,
                        reprint=args.reprint, reason=args.reason, font=args.font, layout=layout, job=job)
    job.finish()
    if args.preview:
        print(f"previewed {printed.pages} certificates to {args.out}")
        print(f"预览 {printed.pages} 张证书，没有记为已打印")
        return EXIT_OK
    print(f"{'reprinted' if args.reprint else 'printed'} {printed.pages} certificates to {args.out}")
    return EXIT_OK


def _print_exported(exported: disclosure.Exported) -> None:
    for line in exported.lines():
        print(line)


def cmd_audit_access_log(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = disclosure.export_access_log(session, args.out, actor=actor(args), since=args.since, until=args.until)
    print(f"已导出 {exported.count} 条查看记录到 {args.out}。")
    print(f"exported {exported.count} access entries to {args.out}")
    return EXIT_OK


def cmd_print_forms(args: argparse.Namespace) -> int:
    from adultschool.services import documents

    db = open_db(args)
    job = ConsoleJob()
    with unit_of_work(db.engine) as session:  # full ID numbers on paper are audited
        if args.kind == "registration":
            printed = documents.print_registration_forms(session, args.out, student_numbers=args.student_number or None,
                                                         font=args.font, job=job, actor=actor(args))
        elif args.kind == "summary":
            printed = documents.print_summary_form(
                session, args.out, level=args.level, font=args.font, job=job, actor=actor(args),
                protection=disclosure.Protection.MASKED if args.masked else disclosure.Protection.PLAIN)
        else:
            if not args.class_name:
                raise AdultSchoolError("签到表请用 --class 指定班级（可用 --date 指定日期，默认今天）。")
            printed = documents.print_signin_sheet(session, args.out, class_name=args.class_name,
                                                   held_on=args.date or clock.today(), font=args.font, job=job,
                                                   actor=actor(args))
    job.finish()
    print(f"已生成{FORM_KINDS[args.kind]}：{printed.pages} 页，{len(printed.names)} 名学员，文件 {args.out}。")
    print(f"printed {args.kind} form: {printed.pages} pages, {len(printed.names)} learners, to {args.out}")
    return EXIT_OK


def cmd_config_font(args: argparse.Namespace) -> int:
    from adultschool.services import documents

    db = open_db(args)
    with unit_of_work(db.engine) as session:
        if args.path or args.default:
            font = documents.set_font(session, None if args.default else args.path, actor=actor(args))
            print(f"print font: {font.path if font else '默认（LXGW 文楷）'}")
        else:
            print(f"print font: {documents.font_for(session).path}")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from adultschool.ui.app import run  # Qt is loaded only here

    return run(args.db)




def add_mapping_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--map", action="append", metavar="本软件列名=表里列名",
                   help="表头认不出时指定对应关系，如 --map 身份证号码=证件号码（可重复）")
    p.add_argument("--mapping", metavar="NAME", help="使用以前保存的列对应")
    p.add_argument("--save-mapping", metavar="NAME", help="这次用 --map 的对应关系保存成这个名字（默认用文件名）")


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's subcommands to the top-level parser."""
    p = add(commands, "init", cmd_init, "建立学校（或区级分中心）数据库")
    p.add_argument("--school-code")
    p.add_argument("--school-name")
    p.add_argument("--township", action="append", help="本校负责的街道/镇，可重复")
    p.add_argument("--district", metavar="CODE", help="建立区级分中心数据库")

    p = add(commands, "demo", cmd_demo, "生成演示学校数据")
    p.add_argument("--learners", type=int, default=300)

    group = commands.add_parser("roster", help="报名名单").add_subparsers(dest="roster_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_roster_import, "从 Excel 名单登记学员")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--registered-on", type=date_arg, help="报名日期（默认今天；名单里有“报名日期”列时以该列为准）")
    p.add_argument("--township", help="名单所属街道/镇（名单里有该列时以该列为准）")
    p.add_argument("--errors", type=Path, help="把未导入的行写入这个 xlsx")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    p = add(group, "export", cmd_roster_export, "导出报名汇总表（R13）")
    p.add_argument("out", type=Path)
    p.add_argument("--level", type=level_arg)
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                   help="password：加密（程序给出密码，发邮件用这个）；plain：不加密（默认，在本机打印）；masked：身份证号码遮挡")

    group = commands.add_parser("survey", help="排摸").add_subparsers(dest="survey_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_survey_import, "导入排摸表（意向学员，不登记学籍）")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--surveyed-on", type=date_arg, help="排摸日期（默认今天；表里有“排摸日期”列时以该列为准）")
    p.add_argument("--township")
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")
    p = add(group, "list", cmd_survey_list, "尚未报名的排摸对象")
    p.add_argument("--township")
    p.add_argument("--all", action="store_true", help="包括已报名的")
    p.add_argument("--progress", action="store_true", help="按街道/镇统计排摸进度")
    add_list_output(p)

    group = commands.add_parser("learners", help="学员").add_subparsers(dest="learners_command", metavar="COMMAND", required=True)
    p = add(group, "list", cmd_learners_list, "学员名单")
    add_list_output(p)
    p.add_argument("--search", help="姓名（或拼音、首字母：zhangwei、zw 都能找到张伟）、身份证号、电话或学籍号的一部分")
    p.add_argument("--level", type=level_arg)
    add_choice(p, "--status", EnrolmentStatus)
    p.add_argument("--limit", type=int)
    p.add_argument("--unmasked", action="store_true", help="显示完整身份证号码和电话（会记入日志）")
    add_list_file_options(p)
    record_commands.add_show(group, add)
    learners_edit.add_subcommand(group, add)
    enrolment_commands.add_subcommands(group, add)

    group = commands.add_parser("rules", help="规则表").add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
    add(group, "show", cmd_rules_show, "查看规则")
    p = add(group, "set", cmd_rules_set, "修改规则（值用 JSON，如 60、false、[\"课程\"]）")
    p.add_argument("key")
    p.add_argument("value")
    p = add(group, "allow", cmd_rules_allow, "（分中心）允许学校自行设定这些规则")
    p.add_argument("keys", nargs="+", metavar="KEY")
    p = add(group, "lock", cmd_rules_lock, "（分中心）这些规则改由分中心统一规定（默认）")
    p.add_argument("keys", nargs="+", metavar="KEY")

    group = commands.add_parser("township", help="街道/镇与任务数").add_subparsers(dest="township_command", metavar="COMMAND",
                                                                                 required=True)
    p = add(group, "add", cmd_township_add, "新增街道/镇")
    p.add_argument("name")
    p.add_argument("--quota", type=int)
    p.add_argument("--year", type=int, help="年份（默认今年）")
    p = add(group, "quota", cmd_township_quota, "设定年度任务数（R8）")
    p.add_argument("name")
    p.add_argument("quota", type=int)
    p.add_argument("--year", type=int, help="年份（默认今年）")
    add(group, "list", cmd_township_list, "街道/镇列表")
    quota_commands.add_township_count(group, add)

    group = commands.add_parser("audit", help="审计记录").add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    p = add(group, "verify", cmd_audit_verify, "检查审计链是否完整，且没有被截短（对照本机记录、备份和区里的回执）")
    p.add_argument("--backup", type=Path, action="append", help="也对照这份备份文件（如 U 盘上的），可重复")
    p = add(group, "access-log", cmd_audit_access_log, "导出查看和导出完整身份证号码的记录（供区里或检查）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--since", type=date_arg)
    p.add_argument("--until", type=date_arg)
    audit_log_commands.add_audit_list(group, add)

    group = commands.add_parser("class", help="班级（村班、厂班、夜校班、重修班）").add_subparsers(
        dest="class_command", metavar="COMMAND", required=True)
    p = add(group, "create", cmd_class_create, "新建班级")
    p.add_argument("name")
    p.add_argument("--type", required=True, help="村班、厂班、夜校班或重修班")
    p.add_argument("--level", type=level_arg, required=True)
    p.add_argument("--starts-on", type=date_arg)
    p.add_argument("--site", help="教学点")
    p.add_argument("--teacher")
    add(group, "list", cmd_class_list, "班级列表")
    p = add(group, "add-learners", cmd_class_add_learners, "按学籍号把学员加入班级")
    p.add_argument("name")
    p.add_argument("student_numbers", nargs="+")
    p.add_argument("--joined-on", type=date_arg)
    p = add(group, "session", cmd_class_session, "登记一节课")
    p.add_argument("name")
    p.add_argument("--date", type=date_arg, required=True)
    p.add_argument("--hours", type=float, required=True)
    p.add_argument("--course")
    p.add_argument("--topic")
    p.add_argument("--start", type=time_arg, help="开始时间 HH:MM")
    class_commands.add_subcommands(group, add)

    group = commands.add_parser("attendance", help="考勤").add_subparsers(dest="attendance_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_attendance_import,
            "导入考勤表：逐行（班级、日期、课时、身份证号码或学籍号、考勤），或按日期排列（每行一人、每列一次课）")
    p.add_argument("--class", dest="class_name", help="按日期排列的考勤表属于哪个班（表里没写时）")
    p.add_argument("--hours", type=float, help="按日期排列的考勤表里新出现的课，每节的课时（表里没有“课时”行时）")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")

    group = commands.add_parser("study", help="线上学习记录").add_subparsers(dest="study_command", metavar="COMMAND", required=True)
    p = add(group, "import", cmd_study_import, "导入线上学习记录（xlsx 或 csv）")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")

    p = add(commands, "readiness", cmd_readiness, "结业考试报考条件（R3）")
    p.add_argument("--as-of", type=date_arg)
    add_list_output(p)
    p.add_argument("--level", type=level_arg)
    p.add_argument("--class", dest="class_name", help="只看这个班")
    p.add_argument("--ready-only", action="store_true")
    p.add_argument("--unmasked", action="store_true")
    add_list_file_options(p)

    group = commands.add_parser("totals", help="累计学时").add_subparsers(dest="totals_command", metavar="COMMAND", required=True)
    p = add(group, "rebuild", cmd_totals_rebuild, "按原始记录重算每个学籍的累计学时")
    p.add_argument("--check", action="store_true", help="只比对，不重算")

    group = commands.add_parser("exam", help="结业考试").add_subparsers(dest="exam_command", metavar="COMMAND", required=True)
    p = add(group, "apply", cmd_exam_apply, "考前申请：可报考的学员申请考试，写出报区里的名单")
    p.add_argument("--as-of", type=date_arg, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--round", help="考试批次名称（默认“YYYY年M月结业考试”）")
    p.add_argument("--student-number", action="append", help="只为这些学籍号申请（可重复）；不写则为全部可报考的学员")
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                   help="password：加密（程序给出密码）；plain：不加密；masked：身份证号码只显示前 6 位和后 4 位（默认 password）")
    results = group.add_parser("results", help="考试成绩").add_subparsers(dest="results_command", metavar="COMMAND", required=True)
    record_commands.add_history(group, add)
    p = add(results, "import", cmd_exam_results_import, "导入区里返回的成绩")
    add_mapping_options(p)
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=Path)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--allow-unapplied", action="store_true", help="也接受没有办理考前申请的学员的成绩（每行提醒）")
    p = add(results, "remove", cmd_exam_results_remove, "（分中心）撤回某个文件导入的全部成绩（导错了文件）")
    p.add_argument("--file", required=True, help="当初导入的文件名")
    p.add_argument("--reason", required=True)
    rounds_group = group.add_parser("rounds", help="考试批次（分中心设定，随数据包发给学校）").add_subparsers(
        dest="rounds_command", metavar="COMMAND", required=True)
    p = add(rounds_group, "add", cmd_exam_rounds_add, "（分中心）新增考试批次")
    p.add_argument("name", help="如“2027年5月结业考试”")
    p.add_argument("--date", type=date_arg, required=True, help="考试日期")
    p.add_argument("--site", required=True, help="考点")
    add_choice(p, "--level", Level)
    p.add_argument("--course", action="append", help="考试科目（可重复；不写为该层次全部课程）")
    p.add_argument("--apply-by", type=date_arg, help="考前申请截止日")
    p.add_argument("--note")
    add(rounds_group, "list", cmd_exam_rounds_list, "考试批次（学校：分中心最近的数据包带来的）")
    p = add(rounds_group, "remove", cmd_exam_rounds_remove, "（分中心）删除考试批次")
    p.add_argument("name")

    p = add(commands, "graduate", cmd_graduate, "全部课程合格的学员毕业，发放证书编号")
    p.add_argument("--as-of", type=date_arg)
    p.add_argument("--dry-run", action="store_true", help="只列出谁将毕业、取得哪个证书编号，不办理")

    group = commands.add_parser("skill", help="职业技能证书").add_subparsers(dest="skill_command", metavar="COMMAND", required=True)
    p = add(group, "add", cmd_skill_add, "登记学员的职业技能证书（双证之一）")
    p.add_argument("student_number")
    p.add_argument("--name", required=True, help="证书名称，如“叉车司机（五级）”")
    p.add_argument("--number", required=True)
    p.add_argument("--issued-on", type=date_arg, required=True)

    group = commands.add_parser("report", help="报表").add_subparsers(dest="report_command", metavar="COMMAND", required=True)
    p = add(group, "credit-bank", cmd_report_credit_bank, "学分银行成绩清单（R12）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                   help="password：加密（程序给出密码）；plain：不加密；masked：身份证号码只显示前 6 位和后 4 位（默认 password）")
    p = add(group, "household", cmd_report_household, "毕业学员名单，供户籍学历变更（R11）")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--protect", type=choice_arg(PROTECTIONS, PROTECTION_WORDS), metavar=choice_metavar(PROTECTIONS),
                   help="password：加密（程序给出密码）；plain：不加密；masked：身份证号码只显示前 6 位和后 4 位（默认 password）")
    quota_commands.add_quota_report(group, add)
    p = add(group, "statistics", cmd_report_statistics, "年度统计：按层次、性别、年龄段、流动人口、街道/镇，历年毕业人数，附图表")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--year", type=int, help="年份（默认今年）")

    group = commands.add_parser("print", help="打印（PDF）").add_subparsers(dest="print_command", metavar="COMMAND", required=True)
    p = add(group, "certificates", cmd_print_certificates, "毕业证书：未打印过的（或指定学籍号的）；再次打印为补发")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--student-number", nargs="+")
    p.add_argument("--reprint", action="store_true", help="补发（需要 --reason）")
    p.add_argument("--reason")
    p.add_argument("--preview", action="store_true", help="只生成预览，不记为已打印")
    p.add_argument("--font", help="这次用的字体文件（.ttf/.ttc）")
    certificate_commands.add_layout_arguments(p)
    certificate_commands.add_print_subcommands(group, add)
    p = add(group, "forms", cmd_print_forms, "报名登记表、报名汇总表或签到表")
    p.add_argument("--out", type=Path, required=True)
    add_choice(p, "--kind", FORM_KINDS, default="summary")
    p.add_argument("--student-number", nargs="+", help="登记表：只打这些学籍号")
    p.add_argument("--level", type=level_arg, help="汇总表：只打这一层次")
    p.add_argument("--class", dest="class_name", help="签到表：班级")
    p.add_argument("--date", type=date_arg, help="签到表：日期（默认今天）")
    p.add_argument("--masked", action="store_true", help="汇总表：身份证号码和电话遮挡")
    p.add_argument("--font")

    group = commands.add_parser("config", help="本机设置").add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    p = add(group, "font", cmd_config_font, "打印字体：不带参数查看，给出路径则设定，--default 恢复默认")
    p.add_argument("path", nargs="?")
    p.add_argument("--default", action="store_true")
    certificate_commands.add_config_subcommands(group, add)

    add(commands, "gui", cmd_gui, "打开图形界面")
