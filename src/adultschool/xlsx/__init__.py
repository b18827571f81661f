"""Excel in and out: read foreign .xlsx files safely, find their header, clean their cells, write our forms.

Pure: plain values in, plain values out; no database and no Qt. Every problem a clerk can fix is an AdultSchoolError.
"""
from adultschool.xlsx.books import lock_file_message, read_workbook
from adultschool.xlsx.csvfile import decode_csv_bytes, read_csv, read_table
from adultschool.xlsx.cells import cell_text, date_value, id_text
from adultschool.xlsx.headers import Column, HeaderMatch, find_header, normalise_header
from adultschool.xlsx.reading import Sheet, check_zip_safety, read_sheets
from adultschool.xlsx.writing import (
    SUMMARY_HEADERS,
    RejectedRow,
    SummaryRow,
    TableSheet,
    save_atomic,
    set_text,
    write_rejected_rows,
    write_summary_form,
    write_table,
    write_tables,
)

__all__ = [
    "SUMMARY_HEADERS",
    "Column",
    "HeaderMatch",
    "RejectedRow",
    "Sheet",
    "SummaryRow",
    "TableSheet",
    "cell_text",
    "check_zip_safety",
    "date_value",
    "decode_csv_bytes",
    "find_header",
    "id_text",
    "lock_file_message",
    "normalise_header",
    "read_csv",
    "read_sheets",
    "read_table",
    "read_workbook",
    "save_atomic",
    "set_text",
    "write_rejected_rows",
    "write_summary_form",
    "write_table",
    "write_tables",
]
