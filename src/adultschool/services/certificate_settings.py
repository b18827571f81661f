"""What a certificate says that differs between districts — per level, the issuing body, the title, the seal text and
the wording — kept in the database (not in the install folder), changed in 设置 → 证书 or `config certificate`, audited.

And how each printer of this PC puts a certificate on pre-printed stock (套打): named layouts in the PC's local
settings, measured with the calibration page.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from adultschool import paths
from adultschool.errors import AdultSchoolError
from adultschool.models import Level, SiteSetting
from adultschool.services import audit, permissions
from adultschool.textnorm import clean_text

if TYPE_CHECKING:  # printing brings reportlab and the QR encoder: imported where a layout or a wording is checked
    from adultschool.printing import Layout

DEFAULT_TITLE = "毕业证书"  # seed 002: both levels graduate with a 毕业证书
KEY = "certificate.wording.{level}"
LAYOUTS = "print_layouts"
# At a school: the levels whose wording the district's package set ({level: wording}); the school cannot change them.
DISTRICT_WORDING = "district.certificate"


@dataclass(frozen=True)
class Wording:
    level: Level
    issuer: str  # "" until someone fills it in: printing is refused until then
    title: str = DEFAULT_TITLE
    seal_text: str | None = None  # None: the template's guide label
    body_text: str | None = None  # None: the template's wording

    def as_json(self) -> dict[str, object]:
        return {"level": self.level.value, "issuer": self.issuer, "title": self.title, "seal_text": self.seal_text,
                "body_text": self.body_text}


def wording(session: Session, level: Level) -> Wording:
    row = session.get(SiteSetting, KEY.format(level=level.value))
    if row is None:
        return Wording(level, "")
    stored = json.loads(row.value)
    return Wording(level, stored.get("issuer") or "", stored.get("title") or DEFAULT_TITLE, stored.get("seal_text"),
                   stored.get("body_text"))


def set_wording(session: Session, level: Level, *, issuer: str | None, title: str | None = None,
                seal_text: str | None = None, body_text: str | None = None, actor: str) -> Wording:
    """Stores the level's wording; empty title, seal text or wording go back to the defaults."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    if level in district_levels(session):
        raise AdultSchoolError(f"{level.label}证书的发证机关和措辞由分中心统一设定，本校不能修改。如需调整，请与分中心联系。",
                               field="issuer")
    new = _checked(level, issuer, title, seal_text, body_text)
    return _store(session, new, actor=actor, summary=f"修改{level.label}证书的发证机关与措辞")


def _checked(level: Level, issuer: str | None, title: str | None, seal_text: str | None,
             body_text: str | None) -> Wording:
    issuer = clean_text(issuer) or ""
    if not issuer:
        raise AdultSchoolError("请填写发证机关（如“北仑区成人‘双证制’教育培训领导小组办公室”）。", field="issuer")
    new = Wording(level, issuer, clean_text(title) or DEFAULT_TITLE, clean_text(seal_text) or None,
                  (body_text or "").strip() or None)
    from adultschool.printing import check_wording

    for text, what in ((new.issuer, "发证机关"), (new.title, "证书标题"), (new.seal_text, "印章文字"), (new.body_text, "证书正文")):
        if text is not None:
            check_wording(text, what)
    if len(new.title) > 12:
        raise AdultSchoolError("证书标题太长：最多 12 个字。", field="title")
    return new


def _store(session: Session, new: Wording, *, actor: str, summary: str) -> Wording:
    level = new.level
    old = wording(session, level)
    if new == old:
        return old
    key = KEY.format(level=level.value)
    row = session.get(SiteSetting, key)
    value = json.dumps(new.as_json(), ensure_ascii=False)
    if row is None:
        session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    audit.record(session, actor=actor, action="settings.certificate", entity="site_settings",
                 summary=summary, before=old.as_json(), after=new.as_json())
    return new


def district_levels(session: Session) -> frozenset[Level]:
    """At a school: the levels whose certificate wording the district sets."""
    row = session.get(SiteSetting, DISTRICT_WORDING)
    return frozenset(Level(level) for level in json.loads(row.value)) if row else frozenset()


def wordings_for_schools(session: Session) -> dict[str, dict[str, object]]:
    """At the district: the wording of each level it has filled in, for its package to the schools."""
    return {level.value: found.as_json() for level in Level if (found := wording(session, level)).issuer}


def apply_district_wordings(session: Session, given: dict[str, dict[str, object]], *, actor: str,
                            dry_run: bool = False) -> list[str]:
    """At a school: the district's wording per level replaces the school's (and locks it); the levels the district
    no longer sets become the school's to change again. Returns a line per level that changes."""
    changes: list[str] = []
    new_levels: list[str] = []
    for value, data in sorted(given.items()):
        level = Level(value)
        new = _checked(level, str(data.get("issuer") or ""), _text(data.get("title")), _text(data.get("seal_text")),
                       _text(data.get("body_text")))
        new_levels.append(level.value)
        old = wording(session, level)
        if new != old:
            changes.append(f"{level.label}证书：发证机关“{new.issuer}”，标题“{new.title}”"
                           + ("（措辞也有改动）" if (new.seal_text, new.body_text) != (old.seal_text, old.body_text) else ""))
            if not dry_run:
                _store(session, new, actor=actor, summary=f"按分中心数据包设定{level.label}证书的发证机关与措辞")
    freed = sorted(level.label for level in district_levels(session) if level.value not in new_levels)
    changes += [f"{label}证书的措辞改由本校自行设定" for label in freed]
    if not dry_run:
        encoded = json.dumps(sorted(new_levels))
        row = session.get(SiteSetting, DISTRICT_WORDING)
        if row is None:
            session.add(SiteSetting(key=DISTRICT_WORDING, value=encoded))
        else:
            row.value = encoded
    return changes


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --- this PC's printers ------------------------------------------------------------------------------------------


def print_layouts() -> dict[str, Layout]:
    """The layouts saved on this PC, by name (usually the printer's)."""
    from adultschool.printing import Layout

    stored = paths.local_setting(LAYOUTS) or {}
    found: dict[str, Layout] = {}
    for name, values in stored.items() if isinstance(stored, dict) else ():
        try:
            found[name] = Layout(**values).check()
        except (TypeError, AdultSchoolError):
            continue  # a hand-edited entry that does not fit is left out, not guessed at
    return found


def layout_named(name: str | None) -> Layout:
    """The saved layout of that name (no name: print as the template says, with nothing moved)."""
    if not name:
        from adultschool.printing import Layout

        return Layout()
    layouts = print_layouts()
    if name not in layouts:
        known = "、".join(layouts) or "（还没有）"
        raise AdultSchoolError(f"这台电脑上没有名为“{name}”的套打设置。已有：{known}。")
    return layouts[name]


def save_print_layout(session: Session, name: str, layout: Layout, *, actor: str) -> Layout:
    """Stores a printer's calibration on this PC (audited in the database it was made for)."""
    permissions.require(session, actor, permissions.Permission.PRINT)
    name = clean_text(name) or ""
    if not name:
        raise AdultSchoolError("请给这个套打设置起个名字（通常用打印机的名字）。", field="name")
    layout.check()
    stored = paths.local_setting(LAYOUTS)
    if not isinstance(stored, dict):  # not set, or edited by hand into something else (print_layouts skips it too)
        stored = {}
    before = stored.get(name)
    stored[name] = asdict(layout)
    paths.set_local_setting(LAYOUTS, stored)
    audit.record(session, actor=actor, action="settings.print_layout", entity="local_settings",
                 summary=f"保存套打设置“{name}”", before=before, after=asdict(layout))
    return layout
