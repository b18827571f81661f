"""A realistic demo school: townships with quotas, surveyed residents and registered learners.

Everything goes through the same services a clerk uses, so the demo obeys every rule the real data does.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.db.bulk import bulk_insert
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    Attendance,
    AttendanceStatus,
    ClassMember,
    ClassSession,
    ClassType,
    Enrolment,
    Gender,
    LearningMode,
    Learner,
    Level,
    SchoolClass,
    SiteSetting,
    StudyRecord,
    Township,
    Video,
    Willingness,
)
from adultschool.services import certificate_settings, registration, site, study, sync
from adultschool.services.rules import load_rules
from adultschool.rule_defaults import Rules

# A code and names no real school or township has, and 演示 in each, so a demo is never taken for a real school.
DEMO_SCHOOL_CODE = "DEMO-01"
DEMO_SCHOOL_NAME = "演示成人文化技术学校（虚构数据）"
DEMO_ISSUERS = {Level.JUNIOR: "（演示）区成人“双证制”教育培训领导小组办公室",
                Level.SENIOR: "（演示）市成人“双证制”教育培训领导小组办公室"}
# sorting as the earlier names did: the seeded demo stays the same
DEMO_TOWNSHIPS = {"演示东街道": 320, "演示南街道": 280, "演示北街道": 240, "演示西镇": 160}
# Demo learners put into a school someone initialised by name (benchmarks, test scaffolds) live in its region's
# townships; such a school is not the demo's own, and `refuse_real_data` keeps demo people out of one with real data.
NAMED_SCHOOL_TOWNSHIPS = {"大碶街道": 320, "新碶街道": 280, "小港街道": 240, "霞浦街道": 160}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕春梅小红晓东佳怡子涵浩然"
RARE = "堃喆赟犇淼鑫垚"
# Counties of the home provinces most of Ningbo's migrant workers come from, and Ningbo's own (Beilun 330206).
COUNTIES = ("330206", "330203", "330281", "340121", "362321", "411521", "422301", "430521", "452122", "511321",
            "522121", "532128")
EMPLOYERS = ("宁波港集团北仑第三集装箱码头", "宁波富邦精业铝业有限公司", "北仑区大碶模具厂", "宁波吉利汽车部件有限公司",
             "海天塑机集团有限公司", "宁波拓普集团股份有限公司", "大碶街道社区卫生服务中心", "新碶超市")
EDUCATIONS = ("小学", "初中", "初中", "初中", "职高")
JOBS = ("操作工", "装配工", "仓管员", "叉车司机", "保洁员", "营业员", "质检员")


DEMO_MARK = "site.demo"  # set when demo data went in: such a database may take more of it


def is_demo(session: Session) -> bool:
    return session.get(SiteSetting, DEMO_MARK) is not None


def refuse_real_data(session: Session) -> None:
    """Demo people go only into an empty database or one that holds demo data already: made-up learners in a school's
    real database would count toward its quotas and travel to the district with its next package."""
    if is_demo(session):
        return
    people = session.execute(select(func.count()).select_from(Learner)).scalar_one()
    classes = session.execute(select(func.count()).select_from(SchoolClass)).scalar_one()
    if people or classes:
        raise AdultSchoolError(
            f"这个数据库里已经有本校的真实数据（学员 {people} 人，班级 {classes} 个），不能再放演示数据："
            "演示的学员会计入任务数，还会随数据包报送到分中心。请换一个新的数据库文件试用演示，例如："
            "adultschool demo --db 演示学校.sqlite3")


@dataclass(frozen=True)
class DemoSummary:
    school: str
    townships: int
    registered: int
    prospects: int
    classes: int = 0
    attendance: int = 0
    study_records: int = 0


def _id_number(rng: random.Random, birth: date, used: set[str]) -> str:
    from stdnum.cn import ric  # when a demo is made, not at every start-up of the school commands

    while True:
        body = f"{rng.choice(COUNTIES)}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check character
        if number not in used:
            used.add(number)
            return number


def _name(rng: random.Random) -> str:
    given_pool = RARE if rng.random() < 0.03 else GIVEN
    return rng.choice(SURNAMES) + "".join(rng.choice(given_pool) for _ in range(rng.choice((1, 2, 2))))


def fill_demo(session: Session, *, learners: int = 300, actor: str, seed: int = 20261123, today: date | None = None,
              job: JobContext | None = None) -> DemoSummary:
    job = job or NullJob()
    today = today or clock.today()
    rng = random.Random(seed)
    if not site.is_initialised(session):
        sync.initialise_school(session, code=DEMO_SCHOOL_CODE, name=DEMO_SCHOOL_NAME, actor=actor)
        session.add(SiteSetting(key=site.DEMO_SCHOOL_MARK, value=clock.now().isoformat()))
    info = site.require_school(session)
    refuse_real_data(session)
    if session.get(SiteSetting, DEMO_MARK) is None:
        session.add(SiteSetting(key=DEMO_MARK, value=clock.now().isoformat()))
    for level, issuer in DEMO_ISSUERS.items():  # a demo's certificates print, and say they are a demo's
        if not certificate_settings.wording(session, level).issuer:
            certificate_settings.set_wording(session, level, issuer=issuer, actor=actor)
    existing = {t.name for t in site.list_townships(session)}
    chosen = DEMO_TOWNSHIPS if site.is_demo_school(session) else NAMED_SCHOOL_TOWNSHIPS
    for name, quota in chosen.items():
        if name not in existing:
            site.add_township(session, name, school_code=info.code, actor=actor)
            site.set_quota(session, name, today.year, quota, actor=actor)
    townships = list(chosen)
    rules = load_rules(session)
    used: set[str] = set()
    inputs = []
    for _ in range(learners):
        registered_on = today - timedelta(days=rng.randint(0, 240))
        age = rng.randint(rules.min_age + 2, rules.max_age - 5)
        birth = date(registered_on.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
        inputs.append(registration.RegistrationInput(
            name=_name(rng),
            id_number=_id_number(rng, birth, used),
            level=rng.choice(("高中", "高中", "高中", "初中")),
            registered_on=registered_on,
            phone=f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
            education=rng.choice(EDUCATIONS),
            employer=rng.choice(EMPLOYERS),
            job=rng.choice(JOBS),
            township=rng.choice(townships),
            learning_mode=rng.choice(("线上", "线下")),
            is_migrant=rng.random() < 0.6,
        ))
    inputs.sort(key=lambda i: i.registered_on)
    checked = [registration.check(i, rules, today=today) for i in inputs]
    batch = registration.register(session, checked, actor=actor, job=job, source="演示数据", today=today)
    prospects = _survey_prospects(session, rng, used, max(learners // 5, 5), townships, today)
    job.report(0, None, "生成班级、考勤和学习记录")
    assert info.school_id is not None  # require_school refuses a site without its school
    classes, attendance, records = _teaching(session, rng, info.school_id, rules, today)
    study.rebuild_totals(session, actor=actor)
    return DemoSummary(school=info.name, townships=len(townships), registered=len(batch.registered), prospects=prospects,
                       classes=classes, attendance=attendance, study_records=records)


CLASS_SIZE = 40
CLASS_TYPES = (ClassType.VILLAGE, ClassType.FACTORY, ClassType.NIGHT)
VIDEOS_PER_COURSE = 30
VIDEO_MINUTES = 45.0


def _teaching(session: Session, rng: random.Random, school_id: int, rules: Rules, today: date) -> tuple[int, int, int]:
    """Classes of about 40 per township and level, weekly 2-hour sessions since the class began, roll calls, and
    the course videos each learner watched (more the longer they have studied). Bulk rows: this is made-up data."""
    enrolments = session.execute(
        select(Enrolment.id, Enrolment.level, Enrolment.registered_on, Township.name, Enrolment.learning_mode)
        .outerjoin(Township, Township.id == Enrolment.township_id)
        .where(~exists().where(ClassMember.enrolment_id == Enrolment.id))
        .order_by(Township.name, Enrolment.level, Enrolment.registered_on)
    ).all()
    groups: dict[tuple[str, Level], list] = {}
    for row in enrolments:
        groups.setdefault((row[3] or "本校", row[1]), []).append(row)
    class_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    session_rows: list[dict[str, Any]] = []
    plans: list[tuple[list, date, Level]] = []
    existing_classes = session.execute(select(func.count(SchoolClass.id))).scalar_one()
    for (township, level), members in groups.items():
        for start in range(0, len(members), CLASS_SIZE):
            chunk = members[start:start + CLASS_SIZE]
            class_type = CLASS_TYPES[len(class_rows) % len(CLASS_TYPES)]
            starts_on = chunk[0][2]
            name = f"{township}{class_type.label}（{level.label}）{existing_classes + len(class_rows) + 1}班"
            class_rows.append({"school_id": school_id, "name": name, "class_type": class_type,
                               "level": level, "teaching_site": f"{township}社区学校",
                               "teacher": rng.choice(("王老师", "李老师", "陈老师")),
                               "starts_on": starts_on})
            plans.append((chunk, starts_on, level))
    if not class_rows:
        return 0, 0, 0
    bulk_insert(session, SchoolClass.__table__, class_rows)
    class_ids = dict(session.execute(select(SchoolClass.name, SchoolClass.id)).all())
    for class_row, (chunk, starts_on, level) in zip(class_rows, plans):
        class_id = class_ids[class_row["name"]]
        member_rows.extend({"class_id": class_id, "enrolment_id": e[0], "joined_on": e[2]} for e in chunk)
        courses = rules.courses(level.value)
        day, week = starts_on + timedelta(days=3), 0
        while day <= today:
            session_rows.append({"class_id": class_id, "held_on": day, "starts_at": time(19, 0),
                                 "hours": 2.0, "course": courses[week % len(courses)], "topic": f"第{week + 1}讲"})
            day, week = day + timedelta(days=7), week + 1
    bulk_insert(session, ClassMember.__table__, member_rows)
    bulk_insert(session, ClassSession.__table__, session_rows)
    members_of: dict[int, list] = {}
    for member in member_rows:
        members_of.setdefault(member["class_id"], []).append(member)
    attendance_rows = []
    for session_id, class_id, held_on in session.execute(select(ClassSession.id, ClassSession.class_id, ClassSession.held_on)):
        for member in members_of.get(class_id, ()):
            if member["joined_on"] > held_on:
                continue
            draw = rng.random()
            status, hours = ((AttendanceStatus.PRESENT, 2.0) if draw < 0.8 else (AttendanceStatus.LATE, 1.5) if draw < 0.85
                             else (AttendanceStatus.LEFT_EARLY, 1.0) if draw < 0.9 else (AttendanceStatus.ABSENT, 0.0)
                             if draw < 0.97 else (AttendanceStatus.EXCUSED, 0.0))
            attendance_rows.append({"session_id": session_id, "enrolment_id": member["enrolment_id"],
                                    "status": status, "hours": hours})
    bulk_insert(session, Attendance.__table__, attendance_rows)

    have = {(c, k) for c, k in session.execute(select(Video.course, Video.key))}  # a demo database asked for more
    video_rows = [{"course": course, "key": f"{course} 第{n:02d}讲", "length_minutes": VIDEO_MINUTES}
                  for course in rules.courses("senior") + rules.courses("junior") for n in range(1, VIDEOS_PER_COURSE + 1)
                  if (course, f"{course} 第{n:02d}讲") not in have]
    bulk_insert(session, Video.__table__, video_rows)
    videos_by_level: dict[Level, list[int]] = {level: [] for level in Level}
    senior = set(rules.courses("senior"))
    for video_id, course in session.execute(select(Video.id, Video.course)):
        videos_by_level[Level.SENIOR if course in senior else Level.JUNIOR].append(video_id)
    study_rows = []
    for enrolment_id, level, registered_on, _, mode in enrolments:
        weeks = max((today - registered_on).days // 7, 0)
        pace = 2.6 if mode == LearningMode.ONLINE else 1.3  # videos a week
        watched = min(int(weeks * pace * rng.uniform(0.5, 1.2)), len(videos_by_level[level]))
        for video_id in rng.sample(videos_by_level[level], watched):
            study_rows.append({"enrolment_id": enrolment_id, "video_id": video_id,
                               "minutes": round(rng.uniform(25, 55), 1)})
    bulk_insert(session, StudyRecord.__table__, study_rows)
    return len(class_rows), len(attendance_rows), len(study_rows)


def _survey_prospects(session: Session, rng: random.Random, used: set[str], count: int, townships: list[str],
                      today: date) -> int:
    township_ids = dict(session.execute(select(Township.name, Township.id)).all())
    rows = []
    for _ in range(count):
        birth = date(today.year - rng.randint(22, 58), rng.randint(1, 12), rng.randint(1, 28))
        number = _id_number(rng, birth, used)
        rows.append({
            "name": _name(rng), "id_number": number, "birth_date": birth,
            "gender": Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
            "education": rng.choice(EDUCATIONS), "employer": rng.choice(EMPLOYERS), "job": rng.choice(JOBS),
            "household_location": rng.choice(("安徽省阜阳市", "江西省上饶市", "河南省周口市", "浙江省宁波市北仑区")),
            "willingness": rng.choice((Willingness.YES, Willingness.YES, Willingness.UNDECIDED, Willingness.NO)),
            "preferred_learning": rng.choice(("线上学习", "夜校班", "厂班送教上门")),
            "township_id": township_ids[rng.choice(townships)],
            "surveyed_on": today - timedelta(days=rng.randint(0, 90)),
            "is_migrant": rng.random() < 0.6,
        })
    if rows:
        session.execute(insert(Learner), rows)
    return len(rows)
