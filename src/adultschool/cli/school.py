"""The school's set-up and its records from the command line: `init`, `demo`, the roster and the survey (`roster`,
`survey`), `learners`, `rules`, `township` and the `audit` log.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from adultschool import clock
from adultschool.cli.common import (
    EXIT_OK, EXIT_SOME_REJECTED, Adder, actor, add_list_file_options, add_list_output, date_arg, emit,
    is_list_file, level_arg, need, open_db, print_exported, print_table, write_list_file,
)
from adultschool.cli.sheet_input import add_mapping_options, mapping_for, run_import
from adultschool.cli import audit_log as audit_log_commands
from adultschool.cli.choices import PROTECTION_WORDS, PROTECTIONS, add_choice, choice_arg, choice_metavar
from adultschool.cli import quotas as quota_commands
from adultschool.cli import learner_record as record_commands
from adultschool.cli import learners_edit
from adultschool.cli import enrolments as enrolment_commands
from adultschool.db import read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.jobs import ConsoleJob
from adultschool.models import EnrolmentStatus, Level, SiteKind
from adultschool.services import demo, disclosure, learners, lists, maintenance, roster, rules, site, survey
from adultschool.services.permissions import Permission
from adultschool.services import sync as sync_service

log = logging.getLogger(__name__)


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


def cmd_roster_import(args: argparse.Namespace) -> int:
    return run_import(args, lambda session, job: roster.import_roster(
        session, args.file, registered_on=args.registered_on or clock.today(), township=args.township,
        actor=actor(args), dry_run=args.dry_run, job=job,
        mapping=mapping_for(session, args, "roster", roster.ROSTER_COLUMNS), mapping_name=args.save_mapping))


def cmd_roster_export(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:  # the export of full ID numbers is audited
        exported = roster.export_roster(session, args.out, level=args.level, job=ConsoleJob(), actor=actor(args),
                                        protection=disclosure.parse_protection(args.protect or "plain"))
    print_exported(exported)
    print(f"exported {exported.count} to {args.out}")
    return EXIT_OK


def cmd_survey_import(args: argparse.Namespace) -> int:
    return run_import(args, lambda session, job: survey.import_survey(
        session, args.file, actor=actor(args), surveyed_on=args.surveyed_on or clock.today(),
        township=args.township, dry_run=args.dry_run, job=job,
        mapping=mapping_for(session, args, "survey", survey.SURVEY_COLUMNS), mapping_name=args.save_mapping))


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


def cmd_audit_access_log(args: argparse.Namespace) -> int:
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        exported = disclosure.export_access_log(session, args.out, actor=actor(args), since=args.since, until=args.until)
    print(f"已导出 {exported.count} 条查看记录到 {args.out}。")
    print(f"exported {exported.count} access entries to {args.out}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    """Adds this module's commands to the top-level parser."""
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
