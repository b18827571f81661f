"""The documents the print dialog makes, one kind each (certificates, a 补发, registration forms, the summary form,
sign-in sheets, a page's list): its title, file name, whether its printing is recorded, whether making it is an audited
disclosure of full ID numbers, and whether it is made in a private scratch folder first."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy.orm import Session

from adultschool.jobs import JobContext
from adultschool.services.documents import Printed


NAMES_SHOWN = 12


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    file_stem: str
    records: bool  # certificates: the preview is free, the printing is recorded when confirmed or saved
    writes: bool  # forms with full ID numbers: making the PDF writes the id.reveal entry
    scratch: bool = False  # made into a private scratch folder (a preview); saved elsewhere only by 另存为/保存 PDF


KINDS = {
    "certificates": Kind("certificates", "打印证书", "毕业证书", True, False, True),
    "reprint": Kind("reprint", "补发证书", "补发证书", True, False, True),
    "registration": Kind("registration", "打印报名登记表", "报名登记表", False, True),
    "summary": Kind("summary", "打印报名汇总表", "报名汇总表", False, True),
    "signin": Kind("signin", "打印签到表", "签到表", False, False),
    "list": Kind("list", "打印名单", "名单", False, False, True),  # title, stem and writes given by the page
}

# A page's list (kind "list"): (session, job, out) → Printed.
ListWork = Callable[[Session, JobContext, Path], Printed]


def names_text(names: Sequence[str]) -> str:
    shown = "、".join(names[:NAMES_SHOWN])
    return shown + (f" 等 {len(names)} 人" if len(names) > NAMES_SHOWN else "")
