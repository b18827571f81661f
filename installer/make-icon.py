"""Draws installer/adultschool.ico (the installer's, the shortcuts' and the uninstall entry's icon).

Run once with the project's .venv (Qt off-screen): `.venv/bin/python installer/make-icon.py`; the .ico is committed.
A white 学 in LXGW WenKai (resources/fonts) on a blue rounded square, at 16-256 px, PNG-compressed ICO entries.
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter, QPainterPath

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int, family: str) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = max(0.5, size / 32)
    box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    path = QPainterPath()
    path.addRoundedRect(box, size * 0.18, size * 0.18)
    painter.fillPath(path, QColor("#1d5fa6"))
    font = QFont(family)
    font.setPixelSize(round(size * 0.74))
    font.setBold(size <= 24)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(box.adjusted(0, -size * 0.02, 0, 0), Qt.AlignmentFlag.AlignCenter, "学")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 - fonts need it
    font_id = QFontDatabase.addApplicationFont(str(HERE.parent / "resources" / "fonts" / "LXGWWenKai-Regular.ttf"))
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    images = [draw(size, family) for size in SIZES]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, payload = b"", b""
    for size, png in zip(SIZES, images):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    out = HERE / "adultschool.ico"
    out.write_bytes(header + entries + payload)
    (HERE / "work").mkdir(exist_ok=True)
    (HERE / "work" / "icon-256.png").write_bytes(images[-1])
    print(f"{out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
