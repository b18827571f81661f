"""What one certificate says (`CertificateData`), how one printer places the page (`Layout`, for pre-printed stock,
套打), the QR code's payload and the Chinese date of issue. Plain values, no reportlab."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from adultschool.errors import AdultSchoolError


_CHINESE_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class CertificateData:
    """What one certificate says. `issuer` overrides the template's issuing body (R11: city or county)."""

    school_name: str
    learner_name: str
    gender: str
    birth_date: date
    level: str  # "junior" | "senior"
    study_from: date
    study_to: date
    certificate_number: str
    issued_on: date
    check_code: str
    skill_certificate: str | None = None
    reprint: bool = False
    issuer: str | None = None
    title: str | None = None  # replaces the template's title (毕业证书)
    body_text: str | None = None  # replaces the template's wording (placeholders as in PLACEHOLDERS)
    seal_text: str | None = None  # replaces the label in the seal guide (e.g. the issuing body's seal)
    photo_jpeg: bytes | None = None  # the learner's photo, drawn in the template's photo box


@dataclass(frozen=True)
class Layout:
    """How one printer puts the page on paper: measured with the calibration page (`write_calibration_page`).

    Offsets move everything right/up in millimetres; `scale` corrects a printer that shrinks or stretches;
    `text_only` leaves out what pre-printed stock already has (frame, title, guides for photo and seal)."""

    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    scale: float = 1.0
    text_only: bool = False

    def check(self) -> "Layout":
        if not (-50 <= self.offset_x_mm <= 50 and -50 <= self.offset_y_mm <= 50):
            raise AdultSchoolError("套打偏移应在 -50 到 50 毫米之间：请用校准页重新量一次。")
        if not 0.8 <= self.scale <= 1.2:
            raise AdultSchoolError("套打缩放应在 0.8 到 1.2 之间（1 表示不缩放）：请用校准页重新量一次。")
        return self


def qr_payload(cert: CertificateData) -> str:
    """What the certificate's QR code holds: enough to look the certificate up and check it is genuine."""
    return f"ASCERT|{cert.certificate_number}|{cert.check_code}"


def chinese_date(day: date) -> str:
    """二〇二六年七月十日: the way a certificate writes its date of issue."""
    year = "".join(_CHINESE_DIGITS[int(digit)] for digit in str(day.year))
    return f"{year}年{_chinese_number(day.month)}月{_chinese_number(day.day)}日"


def _chinese_number(value: int) -> str:
    tens, ones = divmod(value, 10)
    if tens == 0:
        return _CHINESE_DIGITS[ones]
    return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")
