"""A realistic demo school: townships with quotas, surveyed residents and registered learners.

Everything goes through the same services a clerk uses, so the demo obeys every rule the real data does.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from adultschool.jobs import JobContext, NullJob
from adultschool.models import Gender, Learner, SiteKind, Township, Willingness
from adultschool.services import registration, site
from adultschool.services.rules import load_rules

DEMO_SCHOOL_CODE = "330206-01"
DEMO_SCHOOL_NAME = "北仑区大碶街道成人文化技术学校"
DEMO_TOWNSHIPS = {"大碶街道": 320, "新碶街道": 280, "小港街道": 240, "霞浦街道": 160}

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


@dataclass(frozen=True)
class DemoSummary:
    school: str
    townships: int
    registered: int
    prospects: int


def _id_number(rng: random.Random, birth: date, used: set[str]) -> str:
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
    today = today or date.today()
    rng = random.Random(seed)
    if not site.is_initialised(session):
        site.initialise(session, kind=SiteKind.SCHOOL, code=DEMO_SCHOOL_CODE, name=DEMO_SCHOOL_NAME, actor=actor)
    info = site.require_school(session)
    existing = {t.name for t in site.list_townships(session)}
    for name, quota in DEMO_TOWNSHIPS.items():
        if name not in existing:
            site.add_township(session, name, school_code=info.code, actor=actor)
            site.set_quota(session, name, today.year, quota, actor=actor)
    townships = list(DEMO_TOWNSHIPS)
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
    batch = registration.register(session, checked, actor=actor, job=job, source="演示数据")
    prospects = _survey_prospects(session, rng, used, max(learners // 5, 5), townships, today)
    return DemoSummary(school=info.name, townships=len(townships), registered=len(batch.registered), prospects=prospects)


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
