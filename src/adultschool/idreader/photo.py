"""The card's photo: the 1024 bytes of WLT that SDT_ReadBaseMsg hands back become a picture only through the vendor's
decoder, WltRS.dll, whose one call is `int GetBmp(char *wlt_file, int interface)` (interface 1 serial, 2 USB): it reads
the .wlt file and writes a .bmp of the same name beside it (102×126 pixels), returning 1 on success.

The WLT goes to a private temporary folder for that call and is gone with it; only the BMP comes back, for the clerk
to use or not. A 32-bit decoder under the 64-bit program is called through the helper (idreader32.exe), as a 32-bit
reader library is.

The CVR and Syn libraries decode the photo themselves and write it to a file (families.py); `read_bmp` takes such a
file and deletes it.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

from adultschool.idreader import USB_PORTS, ReaderError, library_bits, python_bits

# What GetBmp's return codes mean, as the vendors' samples list them.
GETBMP_ERRORS = {0: "调用读卡器驱动失败", -1: "照片解码出错", -2: "照片文件的扩展名不对", -3: "照片文件打不开",
                 -4: "照片数据格式不对", -5: "解码软件没有授权", -6: "读卡器连接失败"}
SERIAL, USB = 1, 2


def native_path(path: Path) -> bytes:
    """A path as an ANSI Windows DLL takes it (code page 936 on Chinese Windows), or the file system's bytes (also for
    the Syn family's photo folder, families.py)."""
    return str(path).encode("mbcs") if sys.platform == "win32" else os.fsencode(path)


def _get_bmp(decoder: str, via_helper: bool, helper: str | None) -> Callable[[bytes, int], int]:
    name = Path(decoder).name
    if via_helper:
        from adultschool.idreader import helper as proxy  # a 32-bit decoder: through idreader32.exe

        try:
            return proxy.library(decoder, helper).GetBmp
        except AttributeError:
            raise ReaderError(ReaderError.LIBRARY, f"“{name}”不是照片解码文件（没有 GetBmp）。") from None
    bits = library_bits(decoder)
    if bits is not None and bits != python_bits():
        raise ReaderError(ReaderError.LIBRARY, f"照片解码文件“{name}”是{bits}位的，本程序是{python_bits()}位的，"
                                               "照片暂不能读入（文字信息照常读入）。")
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
    try:
        get_bmp = loader(decoder).GetBmp
    except (OSError, AttributeError) as exc:
        raise ReaderError(ReaderError.LIBRARY, f"“{name}”不是照片解码文件（没有 GetBmp）：{exc}") from None
    get_bmp.argtypes, get_bmp.restype = [ctypes.c_char_p, ctypes.c_int], ctypes.c_int
    return get_bmp


def read_bmp(path: Path) -> bytes | None:
    """The BMP a reader library wrote, deleted at once (a person's photo on disk); None if there is none or it is not a
    BMP (a library set to write JPEG, say). The file goes either way."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # a folder of that name, or no right to it: nothing the library wrote
    return data if data.startswith(b"BM") else None


def decode_wlt(wlt: bytes, decoder: str, *, port: int | None = None, via_helper: bool = False,
               helper: str | None = None) -> bytes:
    """The BMP of a card's photo; ReaderError in Chinese when the decoder is missing, cannot be loaded, or fails.
    `via_helper`: call it in the helper process (`helper` names it when it is not the installed idreader32.exe)."""
    name = Path(decoder).name
    if not Path(decoder).is_file():
        raise ReaderError(ReaderError.LIBRARY, f"找不到照片解码文件“{decoder}”（通常是读卡器厂家的 WltRS.dll）："
                                               "请在“设置 → 读卡器”里重新选择。证件的文字信息不受影响。")
    get_bmp = _get_bmp(decoder, via_helper, helper)
    folder = Path(tempfile.mkdtemp(prefix="adultschool-card-"))  # owner-only
    try:
        wlt_file = folder / "zp.wlt"
        wlt_file.write_bytes(wlt)
        code = get_bmp(native_path(wlt_file), SERIAL if port is not None and port not in USB_PORTS else USB)
        if code != 1:
            raise ReaderError(ReaderError.MISREAD, f"照片没有解码（{name} 返回 {code}："
                                                   f"{GETBMP_ERRORS.get(code, '未知的错误')}）。证件的文字信息不受影响。")
        try:
            bmp = wlt_file.with_suffix(".bmp").read_bytes()
        except OSError:
            raise ReaderError(ReaderError.MISREAD, f"{name} 说解码成功，却没有写出照片文件。") from None
        if not bmp.startswith(b"BM"):
            raise ReaderError(ReaderError.MISREAD, f"{name} 写出的不是 BMP 图片。")
        return bmp
    finally:
        shutil.rmtree(folder, ignore_errors=True)
