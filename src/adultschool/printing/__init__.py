"""Printed documents as PDF, drawn with reportlab from plain dataclasses: certificates, registration forms,
the R13 summary form and class sign-in sheets. Pure: no database, no Qt; fonts are embedded TrueType subsets.

Typical use: `font = find_font(settings.font_path)`, then `write_certificates(path, certs, font=font, job=job)`.
"""
from adultschool.printing.calibration import write_calibration_page
from adultschool.printing.certificate import write_certificates
from adultschool.printing.certificate_data import CertificateData, Layout, chinese_date, qr_payload
from adultschool.printing.certificate_template import PLACEHOLDERS, check_wording, load_template
from adultschool.printing.fonts import PdfFont, check_printable, find_font, register_font
from adultschool.printing.forms import (
    RegistrationFormData,
    SigninRow,
    write_registration_forms,
    write_signin_sheet,
    write_summary_form,
)
from adultschool.printing.qr import draw_qr, qr_matrix

__all__ = [
    "CertificateData",
    "Layout",
    "PLACEHOLDERS",
    "check_wording",
    "PdfFont",
    "RegistrationFormData",
    "SigninRow",
    "check_printable",
    "chinese_date",
    "draw_qr",
    "find_font",
    "load_template",
    "qr_matrix",
    "qr_payload",
    "register_font",
    "write_calibration_page",
    "write_certificates",
    "write_registration_forms",
    "write_signin_sheet",
    "write_summary_form",
]
