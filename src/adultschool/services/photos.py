"""Learners' ID photos: imported from a folder or a zip of image files named by ID number or student number, or set
for one learner; checked, turned upright, cropped to the ID-photo ratio and kept as a small JPEG that travels with the
learner and is printed on the registration form and the certificate.

An import is a batch like the others (`imports undo`): new photos go, replaced ones come back.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import Enrolment, Learner, LearnerPhoto
from adultschool.services import audit, permissions
from adultschool.services.journal import Journal
from adultschool.services.site import require_school

# 358 × 441 pixels: the proportions (and size) of the photo on a resident ID card, 26 × 32 mm at 350 dpi.
PHOTO_WIDTH, PHOTO_HEIGHT = 358, 441
SMALLEST = (120, 150)  # a smaller picture would print as a blur
CARD_PHOTO_SIZE = (102, 126)  # what a resident ID card holds (the reader's decoder gives no more): taken as it is
JPEG_QUALITY = 85
EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp"}
MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_FILES = 20_000
MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a decompression bomb stops here, before Pillow allocates it
_ID = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")
_STUDENT_NUMBER = re.compile(r"[0-9]{6}-[0-9]{2}-[0-9]{4}-[0-9]{5}")
_IGNORED = ("__MACOSX/", "Thumbs.db", ".DS_Store", "desktop.ini")


def prepare(data: bytes, name: str, *, smallest: tuple[int, int] = SMALLEST) -> tuple[bytes, int, int]:
    """The photo as we keep it: upright, cropped to the ID-photo ratio around the centre, 358 × 441, JPEG."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # at first use: the window and the CLI start without it

    if len(data) > MAX_FILE_BYTES:
        raise AdultSchoolError(f"“{name}”太大（{len(data) // 1024 // 1024} MB）：证件照一般不到 1 MB。")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AdultSchoolError(f"“{name}”的像素太多（{image.width}×{image.height}），不像证件照。")
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise AdultSchoolError(f"“{name}”打不开，不是完好的图片（{type(exc).__name__}）。") from None
    if upright.width < smallest[0] or upright.height < smallest[1]:
        raise AdultSchoolError(f"“{name}”太小（{upright.width}×{upright.height} 像素），打印出来会模糊："
                               f"请用至少 {smallest[0]}×{smallest[1]} 像素的照片。")
    fitted = ImageOps.fit(upright, (PHOTO_WIDTH, PHOTO_HEIGHT), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    out = io.BytesIO()
    fitted.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), PHOTO_WIDTH, PHOTO_HEIGHT


@dataclass(frozen=True)
class FileProblem:
    file: str
    reason: str


@dataclass
class PhotoImportReport:
    source: str
    files: int = 0
    added: list[str] = field(default_factory=list)  # student numbers
    replaced: list[str] = field(default_factory=list)
    unmatched: list[FileProblem] = field(default_factory=list)
    bad: list[FileProblem] = field(default_factory=list)
    duplicates: list[FileProblem] = field(default_factory=list)
    batch_id: int | None = None

    def summary_line(self) -> str:
        return (f"photos: added {len(self.added)}, replaced {len(self.replaced)}, unmatched {len(self.unmatched)}, "
                f"bad {len(self.bad)}, duplicates {len(self.duplicates)}")


def _files(source: Path) -> Iterator[tuple[str, bytes | None, str]]:
    """(name as shown, bytes or None, why not) of every file in a folder (nested) or a zip; sizes checked first."""
    too_big = f"文件太大（超过 {MAX_FILE_BYTES // 1024 // 1024} MB），不像证件照"
    if source.is_dir():
        found = sorted(p for p in source.rglob("*") if p.is_file())
        if len(found) > MAX_FILES:
            raise AdultSchoolError(f"“{source}”里有 {len(found)} 个文件，太多了：请只放照片（最多 {MAX_FILES} 个）。")
        for path in found:
            name = str(path.relative_to(source))
            if path.stat().st_size > MAX_FILE_BYTES:
                yield name, None, too_big
            else:
                yield name, path.read_bytes(), ""
        return
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AdultSchoolError(f"“{source.name}”既不是文件夹也不是完好的 zip 压缩包（{exc}）。") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise AdultSchoolError(f"“{source.name}”解压后太大或文件太多，不像一包照片：请只打包照片。")
        for member in members:
            if member.file_size > MAX_FILE_BYTES:
                yield member.filename, None, too_big
                continue
            try:
                yield member.filename, archive.read(member), ""
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                yield member.filename, None, f"压缩包里的这个文件读不出来（{exc}）"


def _whose(session: Session, stem: str) -> tuple[int | None, str]:
    """The learner id a file name means (ID number or student number in it), or None and why not."""
    number = _STUDENT_NUMBER.search(stem)
    if number:
        learner_id = session.execute(select(Enrolment.learner_id).where(
            Enrolment.student_number == number.group(0))).scalar()
        return (learner_id, "") if learner_id else (None, f"找不到学籍号 {number.group(0)}")
    match = _ID.search(idcard.normalise(stem))
    if not match:
        return None, "文件名里没有身份证号码或学籍号（请把照片按身份证号码命名，如 330206199001051234.jpg）"
    try:
        resident = idcard.parse(match.group(1))
    except AdultSchoolError as exc:
        return None, exc.message
    learner_id = session.execute(select(Learner.id).where(Learner.id_number == resident.number)).scalar()
    return (learner_id, "") if learner_id else (None, f"找不到身份证号码为 {idcard.mask(resident.number)} 的学员")


def import_photos(session: Session, source: Path, *, actor: str, job: JobContext | None = None) -> PhotoImportReport:
    """Every image in the folder or zip named by a learner's ID number or student number becomes their photo."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.IMPORT)
    require_school(session)
    source = Path(source)
    if not source.exists():
        raise AdultSchoolError(f"找不到“{source}”：请选择放照片的文件夹或 zip 压缩包。")
    report = PhotoImportReport(source.name)
    chosen: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for done, (name, data, unreadable) in enumerate(_files(source), start=1):
        shown = PurePosixPath(name.replace("\\", "/"))
        if any(part in name for part in _IGNORED) or shown.name.startswith("."):
            continue
        report.files += 1
        if done % 200 == 0:
            job.report(done, None, f"正在检查照片：{done} 个")
            job.check_cancelled()
        if shown.suffix.lower() not in EXTENSIONS:
            report.unmatched.append(FileProblem(name, "不是照片文件（只收 jpg、png、bmp）"))
            continue
        learner_id, why = _whose(session, shown.stem)
        if learner_id is None:
            report.unmatched.append(FileProblem(name, why))
        elif data is None:
            report.bad.append(FileProblem(name, unreadable))
        else:
            chosen[learner_id].append((name, data))
    prepared: dict[int, tuple[str, bytes, int, int]] = {}
    for learner_id, candidates in chosen.items():
        if len(candidates) > 1:
            names = "、".join(n for n, _ in candidates)
            report.duplicates.extend(FileProblem(n, f"同一学员有 {len(candidates)} 张照片（{names}），都没有用：请只留一张")
                                     for n, _ in candidates)
            continue
        name, data = candidates[0]
        try:
            jpeg, width, height = prepare(data, name)
        except AdultSchoolError as exc:
            report.bad.append(FileProblem(name, exc.message))
            continue
        prepared[learner_id] = (name, jpeg, width, height)
    journal = Journal(session, "photos", source.name, [LearnerPhoto.__table__])
    existing = {p.learner_id: p for p in session.execute(
        select(LearnerPhoto).where(LearnerPhoto.learner_id.in_(list(prepared)))).scalars()} if prepared else {}
    numbers = _student_numbers(session, list(prepared))
    for learner_id, (name, jpeg, width, height) in prepared.items():
        old = existing.get(learner_id)
        if old is None:
            session.add(LearnerPhoto(learner_id=learner_id, jpeg=jpeg, width=width, height=height, source=name[:200]))
            report.added.append(numbers.get(learner_id, ""))
        else:
            journal.change("learner_photos", old.uuid, {"jpeg": old.jpeg, "width": old.width, "height": old.height,
                                                        "source": old.source},
                           {"jpeg": jpeg, "width": width, "height": height, "source": name[:200]})
            old.jpeg, old.width, old.height, old.source = jpeg, width, height, name[:200]
            report.replaced.append(numbers.get(learner_id, ""))
    session.flush()
    if report.added or report.replaced:
        audit.record(session, actor=actor, action="photos.import", entity="learner_photos",
                     summary=f"导入照片（{source.name}）：新增 {len(report.added)} 张，替换 {len(report.replaced)} 张",
                     after={"added": report.added, "replaced": report.replaced})
        report.batch_id = journal.finish(session, actor=actor,
                                         summary=f"新增 {len(report.added)} 张，替换 {len(report.replaced)} 张")
    return report


def _student_numbers(session: Session, learner_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for learner_id, number in session.execute(select(Enrolment.learner_id, Enrolment.student_number)
                                              .where(Enrolment.learner_id.in_(learner_ids))
                                              .order_by(Enrolment.registered_on)):
        found.setdefault(learner_id, number)
    return found


def set_photo(session: Session, student_number: str, data: bytes, *, source: str, actor: str,
              smallest: tuple[int, int] = SMALLEST) -> None:
    """The photo of the learner behind a student number, from one image file (the learner's page) or the ID card
    (`smallest=CARD_PHOTO_SIZE`)."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    learner_id = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == student_number)).scalar()
    if learner_id is None:
        raise AdultSchoolError(f"找不到学籍号 {student_number}。")
    jpeg, width, height = prepare(data, source, smallest=smallest)
    photo = session.execute(select(LearnerPhoto).where(LearnerPhoto.learner_id == learner_id)).scalar()
    if photo is None:
        photo = LearnerPhoto(learner_id=learner_id, jpeg=jpeg, width=width, height=height, source=source[:200])
        session.add(photo)
    else:
        photo.jpeg, photo.width, photo.height, photo.source = jpeg, width, height, source[:200]
    session.flush()
    audit.record(session, actor=actor, action="photos.set", entity="learner_photos", entity_uuid=photo.uuid,
                 summary=f"设置学员照片（学籍号 {student_number}）", after={"source": source[:200]})


def photos_of(session: Session, learner_ids: list[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for start in range(0, len(learner_ids), 500):
        found.update(session.execute(select(LearnerPhoto.learner_id, LearnerPhoto.jpeg).where(
            LearnerPhoto.learner_id.in_(learner_ids[start:start + 500]))).all())
    return found
