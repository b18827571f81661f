"""Drawing one laid-out certificate page (`_Page`) on a reportlab canvas: the printer's offset and scale, the frame and
its corners, the seal, the photo, the title, the wrapped body, the skill certificate, the lines, the QR code and the
reprint mark."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from adultschool.printing.certificate_data import CertificateData, Layout, qr_payload
from adultschool.printing.cjk_lines import _Body, _Token, _Widths
from adultschool.printing.fonts import PdfFont
from adultschool.printing.qr import draw_qr


@dataclass(frozen=True)
class _Page:
    cert: CertificateData
    template: dict[str, Any]
    values: dict[str, str]
    body: _Body
    photo: Path | None = None  # the photo as a .jpg file: reportlab then embeds the JPEG as it is


def _draw_text(canvas: Canvas, text: str, x: float, y: float, font: str, size: float, align: str = "left",
               char_space: float = 0.0) -> None:
    canvas.setFont(font, size)
    width = pdfmetrics.stringWidth(text, font, size) + max(len(text) - 1, 0) * char_space
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    canvas.drawString(x, y, text, charSpace=char_space)


def _draw_page(canvas: Canvas, page: _Page, font: PdfFont, widths: _Widths, layout: Layout) -> None:
    canvas.saveState()
    canvas.translate(layout.offset_x_mm * mm, layout.offset_y_mm * mm)
    if layout.scale != 1.0:
        canvas.scale(layout.scale, layout.scale)
    _draw_contents(canvas, page, font, widths, layout.text_only)
    canvas.restoreState()


def _draw_contents(canvas: Canvas, page: _Page, font: PdfFont, widths: _Widths, text_only: bool) -> None:
    template, values, cert = page.template, page.values, page.cert
    width, height = template["_page_size"]
    colors = template["colors"]
    text_color = HexColor(colors["text"])
    guide_color = HexColor(colors["guide"])
    name = font.name

    frame = template["frame"]
    if frame["draw"] and not text_only:
        canvas.setStrokeColor(HexColor(colors["frame"]))
        for inset, line_width in ((frame["outer_inset_mm"], frame["outer_width_pt"]),
                                  (frame["inner_inset_mm"], frame["inner_width_pt"])):
            if line_width > 0:
                canvas.setLineWidth(line_width)
                canvas.rect(inset * mm, inset * mm, width - 2 * inset * mm, height - 2 * inset * mm)
        _draw_corners(canvas, frame, width, height)

    # The seal guide goes under the issuer and date: the stamp is pressed over them.
    seal = template["seal"]
    if seal and not text_only:
        canvas.setStrokeColor(guide_color)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 3)
        canvas.circle(seal["x_mm"] * mm, seal["y_mm"] * mm, seal["radius_mm"] * mm, stroke=1, fill=0)
        canvas.setDash()
        canvas.setFillColor(guide_color)
        _draw_text(canvas, seal["label"], seal["x_mm"] * mm, (seal["y_mm"] + seal["radius_mm"] - 8) * mm, name, 10,
                   "center")

    photo = template["photo"]
    if photo and page.photo is not None:
        canvas.drawImage(str(page.photo), photo["x_mm"] * mm, photo["y_mm"] * mm,
                         photo["width_mm"] * mm, photo["height_mm"] * mm, preserveAspectRatio=True, anchor="c")
    elif photo and not text_only:
        canvas.setStrokeColor(guide_color)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 3)
        canvas.rect(photo["x_mm"] * mm, photo["y_mm"] * mm, photo["width_mm"] * mm, photo["height_mm"] * mm)
        canvas.setDash()
        canvas.setFillColor(guide_color)
        _draw_text(canvas, photo["label"], (photo["x_mm"] + photo["width_mm"] / 2) * mm,
                   (photo["y_mm"] + photo["height_mm"] / 2) * mm - 4, name, 12, "center")

    if not text_only:
        _draw_title(canvas, template["title"], HexColor(colors["title"]), name, widths, cert.reprint)

    canvas.setFillColor(text_color)
    canvas.setStrokeColor(text_color)
    body = template["body"]
    y = _draw_body(canvas, page.body, body["x_mm"] * mm, body["y_mm"] * mm, body["width_mm"] * mm,
                   body["indent_chars"], body["underline_values"], name)

    skill = template["skill_certificate"]
    if skill and cert.skill_certificate:
        canvas.setFillColor(text_color)
        _draw_text(canvas, skill["text"].format_map(values), body["x_mm"] * mm + body["indent_chars"] * skill["size_pt"],
                   y - page.body.leading, name, skill["size_pt"])

    canvas.setFillColor(text_color)
    for line in template["lines"]:
        _draw_text(canvas, line["text"].format_map(values), line["x_mm"] * mm, line["y_mm"] * mm, name,
                   line["size_pt"], line["align"])

    qr = template["qr"]
    draw_qr(canvas, qr_payload(cert), qr["x_mm"] * mm, qr["y_mm"] * mm, qr["size_mm"] * mm)

    if cert.reprint:
        _draw_reprint_mark(canvas, template["reprint_mark"], HexColor(colors["reprint"]), name)


def _draw_corners(canvas: Canvas, frame: dict[str, Any], width: float, height: float) -> None:
    """Small L-shaped ornaments inside the inner rule's corners: the classic certificate frame."""
    inset = (frame["inner_inset_mm"] + 2.5) * mm
    arm = 9 * mm
    canvas.setLineWidth(1.2)
    for cx, cy, dx, dy in ((inset, inset, 1, 1), (width - inset, inset, -1, 1),
                           (inset, height - inset, 1, -1), (width - inset, height - inset, -1, -1)):
        path = canvas.beginPath()
        path.moveTo(cx + dx * arm, cy)
        path.lineTo(cx, cy)
        path.lineTo(cx, cy + dy * arm)
        canvas.drawPath(path, stroke=1, fill=0)


def _draw_title(canvas: Canvas, title: dict[str, Any], color: Any, font: str, widths: _Widths, reprint: bool) -> None:
    size, char_space = title["size_pt"], title["char_space_pt"]
    text = title["text"]
    suffix = title["reprint_suffix"] if reprint else ""
    suffix_size = size * 0.55
    total = widths.units(text) * size / 1000 + max(len(text) - 1, 0) * char_space
    if suffix:
        total += char_space + widths.units(suffix) * suffix_size / 1000
    canvas.setFillColor(color)
    canvas.setStrokeColor(color)
    canvas.setLineWidth(size / 60)
    out = canvas.beginText(title["x_mm"] * mm - total / 2, title["y_mm"] * mm)
    out.setTextRenderMode(2)  # fill and stroke: a heavier title from a regular-weight face
    out.setFont(font, size)
    out.setCharSpace(char_space)
    out.textOut(text)
    if suffix:
        out.setCharSpace(0)
        out.setFont(font, suffix_size)
        out.textOut(suffix)
    out.setTextRenderMode(0)
    canvas.drawText(out)


def _draw_body(canvas: Canvas, body: _Body, x: float, top: float, width: float, indent_chars: float,
               underline_values: bool, font: str) -> float:
    """Draw the wrapped paragraph, justified; returns the last baseline."""
    size, leading = body.size, body.leading
    canvas.setFont(font, size)
    canvas.setLineWidth(0.5)
    y = top
    for number, line in enumerate(body.lines):
        left = x + (indent_chars * size if number == 0 else 0)
        text = line.text
        natural = sum(token.units for token in line.tokens) * size / 1000
        char_space = 0.0
        if line.justify and len(text) > 1:
            char_space = (x + width - left - natural) / (len(text) - 1)
            if not 0 < char_space < size * 0.5:  # an odd short line: leave it ragged rather than gappy
                char_space = 0.0
        canvas.drawString(left, y, text, charSpace=char_space)
        if underline_values:
            offset_units, offset_chars = 0.0, 0
            run_start: float | None = None
            run_value: int | None = None
            for token in (*line.tokens, _Token("", 0.0)):
                here = left + offset_units * size / 1000 + offset_chars * char_space
                if token.value != run_value:
                    if run_start is not None:  # close the underline under the previous value
                        end = here - char_space
                        canvas.line(run_start - 1.5, y - size * 0.2, end + 1.5, y - size * 0.2)
                    run_start = here if token.value is not None else None
                    run_value = token.value
                offset_units += token.units
                offset_chars += len(token.text)
        y -= leading
    return y + leading


def _draw_reprint_mark(canvas: Canvas, mark: dict[str, Any], color: Any, font: str) -> None:
    size = mark["size_pt"]
    text = mark["text"]
    char_space = size * 0.2
    text_width = pdfmetrics.stringWidth(text, font, size) + (len(text) - 1) * char_space
    cx, cy = mark["x_mm"] * mm, mark["y_mm"] * mm
    box_width, box_height = text_width + size * 0.9, size * 1.55
    canvas.setStrokeColor(color)
    canvas.setFillColor(color)
    canvas.setLineWidth(2)
    canvas.roundRect(cx - box_width / 2, cy - box_height / 2, box_width, box_height, size * 0.12)
    canvas.setLineWidth(0.7)
    gap = size * 0.12
    canvas.roundRect(cx - box_width / 2 + gap, cy - box_height / 2 + gap, box_width - 2 * gap, box_height - 2 * gap,
                     size * 0.08)
    _draw_text(canvas, text, cx, cy - size * 0.36, font, size, "center", char_space)
