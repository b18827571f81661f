"""Year-end statistics (年度统计): who registered in a quota year, by level, gender, age band, 流动人口 and township;
graduates per year. At a school its own learners; at the district every merged school's, with a table per school.

Registrations count by quota year (R7, the year a registration counts toward), voided ones not at all (作废: never a
registration); withdrawn ones do count as registered that year and are shown in their own column. Ages are whole
years on the day of registration, in bands that start at the rules' minimum age and end at its maximum.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import pinyin
from adultschool.jobs import JobContext, NullJob
from adultschool.models import Certificate, Enrolment, EnrolmentStatus, Gender, Learner, Level, School, SiteKind, Township
from adultschool.models import TownshipQuota
from adultschool.services import permissions, site
from adultschool.services.rules import load_rules
from adultschool.xlsx import ChartSheet, TableSheet, write_tables_with_charts

AGE_BAND_WIDTH = 10  # years per band, from the rules' minimum age
NO_TOWNSHIP = "（未填街道/镇）"


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_bands(min_age: int, max_age: int) -> list[tuple[int, int]]:
    """[(18, 27), (28, 37), …, (58, 60)] for 18–60: bands of ten years, the last one cut at the maximum age."""
    bands, start = [], min_age
    while start <= max_age:
        bands.append((start, min(start + AGE_BAND_WIDTH - 1, max_age)))
        start += AGE_BAND_WIDTH
    return bands


@dataclass
class YearStatistics:
    year: int
    site_name: str
    levels: tuple[Level, ...] = tuple(Level)
    registered: Counter = field(default_factory=Counter)  # level → registrations that quota year
    withdrawn: Counter = field(default_factory=Counter)  # level → of those, withdrawn since
    graduated: Counter = field(default_factory=Counter)  # level → certificates issued that calendar year
    by_gender: dict[Gender, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_age: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # band label → level → n
    age_labels: list[str] = field(default_factory=list)
    by_migrant: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_township: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # name → "registered"...
    quotas: dict[str, int] = field(default_factory=dict)
    graduates_per_year: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_school: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # at the district

    @property
    def total_registered(self) -> int:
        return sum(self.registered.values())


def year_statistics(session: Session, year: int) -> YearStatistics:
    info = site.get_site(session)
    rules = load_rules(session)
    stats = YearStatistics(year, info.name)
    bands = age_bands(rules.min_age, rules.max_age)
    stats.age_labels = [f"{low}–{high} 岁" for low, high in bands]
    for level, status, gender, birth, registered_on, migrant, township, school in session.execute(
        select(Enrolment.level, Enrolment.status, Learner.gender, Learner.birth_date, Enrolment.registered_on,
               Learner.is_migrant, Township.name, School.name)
        .join(Learner, Learner.id == Enrolment.learner_id).join(School, School.id == Enrolment.school_id)
        .outerjoin(Township, Township.id == Enrolment.township_id)
        .where(Enrolment.quota_year == year, Enrolment.status != EnrolmentStatus.VOIDED)
    ):
        stats.registered[level] += 1
        if status is EnrolmentStatus.WITHDRAWN:
            stats.withdrawn[level] += 1
        stats.by_gender[gender][level] += 1
        age = age_on(birth, registered_on)
        label = next((stats.age_labels[i] for i, (low, high) in enumerate(bands) if low <= age <= high), "其他年龄")
        stats.by_age[label][level] += 1
        stats.by_migrant["是" if migrant else "否" if migrant is False else "未填"][level] += 1
        stats.by_township[township or NO_TOWNSHIP]["registered"] += 1
        stats.by_school[school]["registered"] += 1
    for level, issued_on, township, school in session.execute(
        select(Enrolment.level, Certificate.issued_on, Township.name, School.name)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(School, School.id == Enrolment.school_id)
        .outerjoin(Township, Township.id == Enrolment.township_id)
        .where(Certificate.revoked_on.is_(None))
    ):
        stats.graduates_per_year[issued_on.year][level] += 1
        if issued_on.year == year:
            stats.graduated[level] += 1
            stats.by_township[township or NO_TOWNSHIP]["graduated"] += 1
            stats.by_school[school]["graduated"] += 1
    for name, quota in session.execute(select(Township.name, TownshipQuota.quota)
                                       .join(TownshipQuota, TownshipQuota.township_id == Township.id)
                                       .where(TownshipQuota.year == year)):
        stats.quotas[name] = stats.quotas.get(name, 0) + quota
        stats.by_township.setdefault(name, Counter())
    return stats


def _by_level(title: str, labels: list[str], counts: dict[str, Counter], levels: tuple[Level, ...], sheet: str,
              first: str) -> TableSheet:
    rows = [[label, *(counts[label][lv] for lv in levels), sum(counts[label].values())] for label in labels
            if label in counts]
    return TableSheet(title, (first, *(lv.label for lv in levels), "合计"), rows, sheet_name=sheet)


def statistics_sheets(stats: YearStatistics, at_district: bool) -> tuple[list[TableSheet], list[ChartSheet]]:
    y, levels = stats.year, stats.levels
    overview = TableSheet(
        f"{stats.site_name} {y}年 成人“双证制”学历提升统计", ("层次", "当年报名", "其中已退学", "当年毕业"),
        [[lv.label, stats.registered[lv], stats.withdrawn[lv], stats.graduated[lv]] for lv in levels]
        + [["合计", stats.total_registered, sum(stats.withdrawn.values()), sum(stats.graduated.values())]],
        sheet_name="概况")
    gender = _by_level(f"{y}年报名：按性别", [g.label for g in Gender],
                       {g.label: stats.by_gender[g] for g in Gender if g in stats.by_gender}, levels, "按性别", "性别")
    ages = _by_level(f"{y}年报名：按年龄（报名时周岁）", [*stats.age_labels, "其他年龄"], stats.by_age, levels, "按年龄",
                     "年龄段")
    migrant = _by_level(f"{y}年报名：流动人口", ["是", "否", "未填"], stats.by_migrant, levels, "流动人口", "流动人口")
    townships = sorted(stats.by_township, key=lambda n: (n == NO_TOWNSHIP, pinyin.place_name(n).sort_key))  # pinyin
    township_rows = []
    for name in townships:
        c = stats.by_township[name]
        quota = stats.quotas.get(name)
        rate = f"{c['registered'] / quota:.1%}" if quota else ""
        township_rows.append([name, c["registered"], quota if quota is not None else "", rate, c["graduated"]])
    by_township = TableSheet(f"{y}年 各街道/镇", ("街道/镇", "当年报名", "任务数", "完成率", "当年毕业"), township_rows,
                             sheet_name="按街道镇")
    years = sorted(stats.graduates_per_year)
    per_year = TableSheet("历年毕业人数", ("年份", *(lv.label for lv in levels), "合计"),
                          [[str(yr), *(stats.graduates_per_year[yr][lv] for lv in levels),
                            sum(stats.graduates_per_year[yr].values())] for yr in years], sheet_name="历年毕业")
    sheets = [overview, gender, ages, migrant, by_township, per_year]
    if at_district:
        schools = sorted(stats.by_school)
        sheets.append(TableSheet(f"{y}年 各学校", ("学校", "当年报名", "当年毕业"),
                                 [[s, stats.by_school[s]["registered"], stats.by_school[s]["graduated"]] for s in schools],
                                 sheet_name="按学校"))
    charts = [
        ChartSheet(f"{y}年 各街道/镇报名与任务数", "图表-街道镇", "按街道镇", 0, (1, 2), len(township_rows)),
        ChartSheet("历年毕业人数", "图表-历年毕业", "历年毕业", 0, tuple(range(1, len(levels) + 1)), len(years)),
    ]
    return sheets, charts


def write_statistics(session: Session, out: Path, *, year: int, actor: str | None = None,
                     job: JobContext | None = None) -> YearStatistics:
    """The year-end statistics workbook: a sheet per breakdown and two chart sheets (counts only, no personal data)."""
    permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
    stats = year_statistics(session, year)
    sheets, charts = statistics_sheets(stats, site.get_site(session).kind is SiteKind.DISTRICT)
    write_tables_with_charts(out, sheets, charts, job=job or NullJob())
    return stats
