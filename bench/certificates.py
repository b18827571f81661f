"""1,000 certificates, each with its QR code and its own photo (a 358 × 441 JPEG as services.photos keeps them), into
one PDF, against a bare reportlab script that draws the same text with the same embedded font and no QR code, no
photo, no template, no checks.

Target: the 1,000-page PDF in under 5 s (the bare script takes about 0.5 s here). Both sides run about twice
as fast with reportlab's C accelerator (the rl-accel package) installed; the script says whether it is.
Run: .venv/bin/python bench/certificates.py [COUNT]
"""
from __future__ import annotations

import io
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, timed_pair

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from adultschool.printing import CertificateData, find_font, load_template, write_certificates
from adultschool.printing.certificate_data import chinese_date

SURNAMES = "陈王张李赵刘周吴徐孙胡朱高林何郭马罗梁宋欧阳"
GIVEN = "伟芳娜秀英敏静丽强磊军洋堃喆赟犇明华"
SCHOOLS = ("大碶街道成人文化技术学校", "新碶街道成人文化技术学校", "霞浦街道社区学校", "北仑区社区教育学院")


def photo(rng: random.Random) -> bytes:
    """A distinct ID-photo-sized JPEG (a face-like oval on a coloured ground), about as large as a real one."""
    image = Image.new("RGB", (358, 441), tuple(rng.randint(120, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 70, 268, 300), fill=tuple(rng.randint(150, 230) for _ in range(3)))
    draw.rectangle((40, 300, 318, 441), fill=tuple(rng.randint(0, 90) for _ in range(3)))
    for _ in range(400):  # texture, so the JPEG is not trivially small
        x, y = rng.randint(0, 357), rng.randint(0, 440)
        draw.point((x, y), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def certificates(count: int, seed: int = 11) -> list[CertificateData]:
    rng = random.Random(seed)
    result = []
    for n in range(1, count + 1):
        study_from = date(2025, rng.randint(1, 6), 1)
        result.append(CertificateData(
            school_name=rng.choice(SCHOOLS),
            learner_name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
            gender=rng.choice("男女"),
            birth_date=date(rng.randint(1966, 2006), rng.randint(1, 12), rng.randint(1, 28)),
            level="senior" if rng.random() < 0.7 else "junior",
            study_from=study_from,
            study_to=date(2025, study_from.month + 5, 28),
            certificate_number=f"2026330206{n:06d}",
            issued_on=date(2026, 7, 10),
            check_code=f"{rng.getrandbits(30):08X}",
            skill_certificate="电工（五级/初级工）" if rng.random() < 0.4 else None,
            reprint=rng.random() < 0.05,
            issuer="宁波市成人“双证制”教育培训领导小组办公室",
            photo_jpeg=photo(rng),
        ))
    return result


def accelerated() -> str:
    from reportlab.lib import rl_accel

    return "yes" if type(rl_accel.fp_str).__name__ == "builtin_function_or_method" else "no (pure Python fallback)"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    certs = certificates(count)
    font = find_font()
    templates = {level: load_template(level) for level in ("senior", "junior")}

    def page_strings(cert: CertificateData) -> list[str]:
        t = templates[cert.level]
        body = (f"学员{cert.learner_name}，{cert.gender}，{cert.birth_date.year}年{cert.birth_date.month}月"
                f"{cert.birth_date.day}日生，于{cert.study_from.year}年{cert.study_from.month}月至"
                f"{cert.study_to.year}年{cert.study_to.month}月在{cert.school_name}参加成人“双证制”"
                f"{t['level_label']}学历教育学习，修完规定课程，成绩合格，准予毕业。")
        lines = [t["title"]["text"], body[:30], body[30:62], body[62:], cert.issuer or "", chinese_date(cert.issued_on),
                 f"证书编号：{cert.certificate_number}", f"查 验 码：{cert.check_code}", "照片", "盖章"]
        if cert.skill_certificate:
            lines.append(f"职业技能证书：{cert.skill_certificate}")
        return lines

    strings = [page_strings(cert) for cert in certs]

    with tempfile.TemporaryDirectory() as tmp:
        ours_path = Path(tmp) / "certificates.pdf"
        bare_path = Path(tmp) / "bare.pdf"

        def bare() -> int:
            canvas = Canvas(str(bare_path), pagesize=landscape(A4), pageCompression=1, initialFontName=font.name)
            for lines in strings:
                y = 170 * mm
                for line in lines:
                    canvas.setFont(font.name, 16)
                    canvas.drawString(30 * mm, y, line)
                    y -= 12 * mm
                canvas.showPage()
            canvas.save()
            return len(strings)

        def ours() -> int:
            return write_certificates(ours_path, certs, font=font)

        pair = timed_pair(bare, ours, repeat=3)
        pages = pair.second_result
        size_mb = ours_path.stat().st_size / 1e6
        bare_mb = bare_path.stat().st_size / 1e6

    print(f"machine: {machine()}")
    print(f"font: {font.path.name}; reportlab C accelerator (rl-accel): {accelerated()}")
    print(f"bare reportlab, same text and font, no QR ({count} pages, {bare_mb:.1f} MB): "
          f"{pair.first_wall:.3f} s wall (best {pair.first_best:.3f} s), {pair.first_cpu:.3f} s CPU")
    print(f"write_certificates with QR codes and photos ({pages} pages, {size_mb:.1f} MB; photos "
          f"{sum(len(c.photo_jpeg or b'') for c in certs) / len(certs) / 1024:.0f} KB each): "
          f"{pair.second_wall:.3f} s wall (best {pair.second_best:.3f} s), {pair.second_cpu:.3f} s CPU (target < 5 s)")
    print(f"per certificate: {pair.second_wall / count * 1000:.2f} ms")
    print(f"ratio certificates / bare: {pair.second_wall / pair.first_wall:.2f} wall, "
          f"{pair.second_cpu / pair.first_cpu:.2f} CPU")


if __name__ == "__main__":
    main()
