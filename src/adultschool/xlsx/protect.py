"""Password-protected workbooks: the lists with full ID numbers that go out by e-mail, encrypted as Excel's own
"加密文档" (ECMA-376 agile encryption: AES-256, SHA-512, 100,000 spins), which Excel, WPS and LibreOffice open after
asking for the password, and a password the program makes up and shows once.

Pure: workbook bytes in, encrypted bytes out (msoffcrypto-tool writes the container).
"""
from __future__ import annotations

import io
import secrets

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: read out on the phone and typed from a note, these get mixed up.
PASSWORD_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
PASSWORD_GROUPS = 3
GROUP_LENGTH = 4  # 12 characters of 25 kinds: about 2^56, against the agile format's 100,000 SHA-512 rounds a guess


def new_password() -> str:
    """A fresh password such as 'K7PM-Q4XD-9WTA': three groups of four, easy to read aloud and to type."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GROUP_LENGTH))
                    for _ in range(PASSWORD_GROUPS))


def encrypt_workbook(plain: bytes, password: str) -> bytes:
    """The .xlsx bytes `plain` as a password-protected workbook (an OLE2 file holding the encrypted package)."""
    from msoffcrypto.format.ooxml import OOXMLFile  # cryptography, only when a list is protected

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


__all__ = ["encrypt_workbook", "new_password"]
