"""The calibration page for printing on pre-printed certificate stock (套打): a millimetre grid and crosshairs at
where the template puts the photo, the wording and the QR code, drawn through the same `Layout` as the certificates.

Print it on plain paper with the printer's settings at 100 %, hold it against a sheet of the stock, and read how
far off the crosshairs are: those millimetres (and the scale, if a 200 mm line measures 199 mm) go into the layout.
"""
from __future__ import annotations

import os

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from adultschool.outfiles import PDF_PROGRAMS, atomic_output
from adultschool.printing.certificate_data import Layout
from adultschool.printing.certificate_template import load_template
from adultschool.printing.fonts import PdfFont

GRID_COLOUR = HexColor("#9bb7d4")
MARK_COLOUR = HexColor("#c8102e")


def write_calibration_page(path: str | os.PathLike[str], *, font: PdfFont, level: str = "senior",
                           layout: Layout | None = None) -> None:
    layout = (layout or Layout()).check()
    template = load_template(level)
    width, height = template["_page_size"]
    with atomic_output(path, opened_in=PDF_PROGRAMS) as part:
        canvas = Canvas(str(part), pagesize=(width, height), initialFontName=font.name, initialFontSize=8, lang="zh-CN")
        canvas.setTitle("套打校准页")
        canvas.setCreator("adultschool")
        canvas.setViewerPreference("PrintScaling", "None")
        canvas.saveState()
        canvas.translate(layout.offset_x_mm * mm, layout.offset_y_mm * mm)
        if layout.scale != 1.0:
            canvas.scale(layout.scale, layout.scale)
        _grid(canvas, font, width, height)
        marks = [("正文起点", template["body"]["x_mm"], template["body"]["y_mm"]),
                 ("二维码", template["qr"]["x_mm"], template["qr"]["y_mm"])]
        if template.get("photo"):
            photo = template["photo"]
            marks += [("照片左下角", photo["x_mm"], photo["y_mm"]),
                      ("照片右上角", photo["x_mm"] + photo["width_mm"], photo["y_mm"] + photo["height_mm"])]
        for label, x, y in marks:
            _crosshair(canvas, font, label, x * mm, y * mm)
        canvas.restoreState()
        canvas.setFont(font.name, 11)
        canvas.drawString(20 * mm, height - 16 * mm,
                          "套打校准页：按 100% 打印（不要“适合页面”）。"
                          f"当前偏移 右 {layout.offset_x_mm:g} mm、上 {layout.offset_y_mm:g} mm，"
                          f"缩放 {layout.scale:g}。对着证书纸量出十字的偏差，填进“打印设置 → 套打校准”。")
        canvas.showPage()
        canvas.save()


def _grid(canvas: Canvas, font: PdfFont, width: float, height: float) -> None:
    canvas.setStrokeColor(GRID_COLOUR)
    canvas.setFillColor(GRID_COLOUR)
    for x in range(0, int(width / mm) + 1, 5):
        canvas.setLineWidth(0.6 if x % 10 == 0 else 0.2)
        canvas.line(x * mm, 0, x * mm, height)
        if x % 20 == 0:
            canvas.setFont(font.name, 6)
            canvas.drawString(x * mm + 0.5 * mm, 2 * mm, str(x))
    for y in range(0, int(height / mm) + 1, 5):
        canvas.setLineWidth(0.6 if y % 10 == 0 else 0.2)
        canvas.line(0, y * mm, width, y * mm)
        if y % 20 == 0:
            canvas.setFont(font.name, 6)
            canvas.drawString(2 * mm, y * mm + 0.5 * mm, str(y))


def _crosshair(canvas: Canvas, font: PdfFont, label: str, x: float, y: float) -> None:
    canvas.setStrokeColor(MARK_COLOUR)
    canvas.setFillColor(MARK_COLOUR)
    canvas.setLineWidth(0.5)
    canvas.line(x - 8 * mm, y, x + 8 * mm, y)
    canvas.line(x, y - 8 * mm, x, y + 8 * mm)
    canvas.circle(x, y, 2 * mm)
    canvas.setFont(font.name, 8)
    canvas.drawString(x + 2.5 * mm, y + 2.5 * mm, f"{label}（{x / mm:.0f}, {y / mm:.0f} mm）")
