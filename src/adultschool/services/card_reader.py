"""The ID card reader as the registration uses it: this PC's reader settings (kept per PC, since the reader and its
driver are), a test read for the settings, and a read that becomes the fields of a registration.

What the card says is only a proposal: the clerk sees it in the form, and the registration checks it as if typed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from adultschool import clock, idcard, idreader, paths
from adultschool.errors import AdultSchoolError
from adultschool.idreader import HELPER_NAME, CardData, Family, Mode, ReaderConfig, ReaderError, installed_helper
from adultschool.services import audit, permissions

SETTING = "id_card_reader"


def reader_config() -> ReaderConfig | None:
    """This PC's reader, or None when none has been set up (or the stored entry no longer fits)."""
    stored = paths.local_setting(SETTING)
    if not isinstance(stored, dict):
        return None
    try:
        return ReaderConfig.from_json(stored)
    except (KeyError, TypeError, ValueError):
        return None


def checked_config(library: str, family: str, port: str | int | None, *, mode: str = "auto",
                   photo_decoder: str | None = None, helper: str | None = None) -> ReaderConfig:
    """The settings as a clerk gave them, each checked, with what to fix in Chinese. `helper`: the idreader32.exe for
    a 32-bit driver when not the one installed with the program."""
    library = (library or "").strip()
    if not library:
        raise AdultSchoolError("请选择读卡器厂家提供的驱动文件（如 sdtapi.dll、termb.dll、SynIDCardAPI.dll）。",
                               field="library")
    if not Path(library).is_file():
        raise AdultSchoolError(f"找不到文件“{library}”：请重新选择读卡器的驱动文件。", field="library")
    try:
        chosen = Family(family)
    except ValueError:
        raise AdultSchoolError(f"接口类型“{family}”不对：应为 {'、'.join(f.value for f in Family)} 之一。",
                               field="family") from None
    number: int | None
    if port in (None, "", "auto", "自动"):
        number = None
    else:
        try:
            number = int(port)
        except (TypeError, ValueError):
            raise AdultSchoolError(f"端口“{port}”不对：USB 读卡器一般是 1001–1016，串口是 1–16，不知道就选“自动查找”。",
                                   field="port") from None
        if number not in idreader.SCAN_ORDER:
            raise AdultSchoolError(f"端口 {number} 不对：USB 读卡器是 1001–1016，串口是 1–16。", field="port")
    helper = (helper or "").strip() or None
    if helper is not None and not Path(helper).is_file():
        raise AdultSchoolError(f"找不到读卡辅助程序“{helper}”：请选择 {HELPER_NAME}，或不填（用随本程序安装的那个）。",
                               field="helper")
    decoder = (photo_decoder or "").strip() or None
    if decoder is not None and not Path(decoder).is_file():
        raise AdultSchoolError(f"找不到照片解码文件“{decoder}”：请选择读卡器厂家的 WltRS.dll，或不填。",
                               field="photo_decoder")
    config = ReaderConfig(library, chosen, number, Mode(mode), decoder, helper)
    bits = idreader.library_bits(library)
    if idreader.needs_helper(config) and config.mode is not Mode.HELPER:
        if bits != 32:
            raise AdultSchoolError(f"这个驱动是{bits}位的，本程序是{idreader.python_bits()}位的，不能载入："
                                   "请向读卡器厂家要与本程序位数相同的驱动。", field="library")
        if helper is None and not installed_helper().is_file():
            raise AdultSchoolError(f"这个驱动是32位的，要经随本程序安装的读卡辅助程序 {HELPER_NAME} 读卡，"
                                   f"但没有找到它（{installed_helper()}）：请重新安装本程序。", field="helper")
    return config


def save_reader_config(session: Session, config: ReaderConfig | None, *, actor: str) -> ReaderConfig | None:
    """Stores this PC's reader (None forgets it), audited in the database of this PC's school."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    before = paths.local_setting(SETTING)
    after = config.as_json() if config else None
    paths.set_local_setting(SETTING, after)
    audit.record(session, actor=actor, action="settings.card_reader", entity="local_settings",
                 summary="设置读卡器" if config else "取消读卡器设置", before=before, after=after)
    return config


@dataclass(frozen=True)
class CardReading:
    """A card read for a registration: the fields it fills, and what the clerk should know."""

    card: CardData
    warnings: tuple[str, ...]
    photo: bytes | None = None  # the card's photo as a BMP, when this PC has the vendor's decoder
    photo_problem: str | None = None  # why there is no photo although a decoder is set up

    @property
    def masked_id(self) -> str:
        return idcard.mask(self.card.id_number)

    def lines(self) -> list[str]:
        c = self.card
        gender = {"male": "男", "female": "女"}.get(c.gender or "", "（未读出）")
        return [f"姓名：{c.name}", f"证件：{c.card_type.label} {self.masked_id}", f"性别：{gender}",
                f"出生日期：{c.birth_date or '（未读出）'}", f"住址：{c.address}",
                f"有效期限：{c.valid_from or ''}–{c.valid_to or '长期'}", *self._photo_lines(),
                *[f"提醒：{w}" for w in self.warnings]]

    def _photo_lines(self) -> list[str]:
        if self.photo is not None:
            return ["照片：已读出（登记时勾选“使用证件照片”才会保存）"]
        return [f"照片：{self.photo_problem}"] if self.photo_problem else []


def read_for_registration(config: ReaderConfig | None = None, *, today: date | None = None) -> CardReading:
    """Reads the card on this PC's reader; ReaderError (no reader, no card, lift and place again) otherwise."""
    config = config or reader_config()
    if config is None:
        raise ReaderError(ReaderError.LIBRARY, "还没有设置读卡器：请在“设置 → 读卡器”里选择读卡器的驱动文件。")
    card = idreader.read_card(config)
    today = today or clock.today()
    warnings: list[str] = []
    if card.valid_to is not None and card.valid_to < today:
        warnings.append(f"这张证件已于 {card.valid_to} 过期：请本人尽快换领，登记时请核对信息是否仍然正确。")
    try:
        parsed = idcard.parse(card.id_number, today=today)
        if card.birth_date is not None and card.birth_date != parsed.birth_date:
            warnings.append("证件上的出生日期与号码中的不一致：请核对证件。")
        if card.gender is not None and card.gender != parsed.gender:
            warnings.append("证件上的性别与号码中的不一致：请核对证件。")
    except AdultSchoolError as exc:
        warnings.append(f"读出的号码没有通过检查：{exc}")
    photo, problem = _card_photo(config, card)
    return CardReading(card, tuple(warnings), photo, problem)


def _card_photo(config: ReaderConfig, card: CardData) -> tuple[bytes | None, str | None]:
    """The card's photo, or why not (the text of the card comes in either way): as the library gave it (the CVR and
    Syn families decode it themselves), else its WLT through this PC's decoder."""
    if card.photo_bmp is not None:
        return card.photo_bmp, None
    if config.photo_decoder is None:
        return None, None
    if card.photo_wlt is None:
        return None, "这种读卡器暂不能读出照片。"
    from adultschool.idreader import photo  # ctypes work only when a decoder is set up

    via_helper = idreader.needs_helper(replace(config, library=config.photo_decoder))  # a 32-bit WltRS.dll
    try:
        return photo.decode_wlt(card.photo_wlt, config.photo_decoder, port=card.port, via_helper=via_helper,
                                helper=config.helper), None
    except ReaderError as exc:
        return None, exc.message
