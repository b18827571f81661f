"""The three families of vendor calls, over ctypes. Field layouts follow the vendors' public samples:

- SAM (sdtapi.dll): SDT_OpenPort(port) → 0x90; SDT_StartFindIDCard → 0x9F when a card is there; SDT_SelectIDCard
  → 0x90; SDT_ReadBaseMsg(port, text, &len, photo, &len, 1) → 0x90 with 256 bytes of UCS-2 in fixed fields (name 15
  characters, sex 1, ethnicity code 2, birth 8, address 35, ID 18, issuing office 15, valid from 8, valid to 8) and
  1024 bytes of WLT photo;
- 华视 CVR (termb.dll): CVR_InitComm(port) → 1, CVR_Authenticate() → 1 with a card, CVR_Read_Content(1) → 1, then
  GetPeopleName(buf, &len) … in GBK;
- 神思 (SynIDCardAPI.dll): Syn_OpenPort(port) → 0, Syn_StartFindIDCard, Syn_SelectIDCard, Syn_ReadMsg(port, 0,
  &IDCardData) → 0, a packed structure of fixed GBK fields.

The photo, which these two libraries decode themselves (public samples this follows, found by searching GitHub):
- CVR: CVR_Read_Content writes the photo as zp.bmp and the text as wz.txt into the current directory (a CVR-100U
  integration guide, "CVR_Read_Content 读卡成功后，会在当前目录生成 wz.txt … + zp.bmp"; an MFC demo loads
  zp.bmp from the program's folder), and a termb.dll may hand the BMP over with GetBmpData(buf, &len) (a Qt
  wrapper's IDCardSDK.h: a 40 KB buffer, "照片数据，不超过38862字节" — exactly a 102×126 24-bit BMP). The photo is
  taken from GetBmpData when the library has it (else there is none: where zp.bmp lands, the samples disagree);
  zp.bmp and wz.txt are deleted from the current directory and the library's folder after every read.
- Syn: Syn_SetPhotoPath(2, folder) (0 = the root of C:, 1 = the current directory, 2 = the folder given),
  Syn_SetPhotoType(0) (0 bmp, 1 jpg, 2 base64, 3 WLT, 4 none), Syn_SetPhotoName(0) (0 tmp, 1 name, 2 ID number …); Syn_ReadMsg then
  writes the photo there and puts the file's path into IDCardData.PhotoFileName, returning 1 instead of 0 when the
  text was read but the photo not decoded (a visitor-registration MFC program and several C#/VB declarations of
  SynIDCardAPI.dll). The folder is a private temporary one, gone after the read; the file PhotoFileName names is read
  and deleted even when the library lacks the setters and wrote it elsewhere.

On Windows the libraries are loaded as WinDLL (stdcall, which 32-bit vendor DLLs use; 64-bit has one convention).
The calls below take a `library`: the ctypes library loaded here, or for a 32-bit library under the 64-bit program
a `helper.ProxyLibrary` whose functions take the same arguments and run in idreader32.exe.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Callable, Sequence

from adultschool.idreader import (
    SCAN_ORDER,
    CardData,
    Family,
    ReaderConfig,
    ReaderError,
    card_type_of,
    misread,
    no_card,
    no_reader,
)
from adultschool.idreader.photo import native_path, read_bmp

# GB 3304: the ethnicity codes the SAM module gives.
ETHNICITIES = (
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣",
    "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗",
    "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固",
    "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)  # fmt: skip
OTHER_ETHNICITIES = {"97": "其他", "98": "外国血统中国籍人士"}
SAM_OK, SAM_FOUND = 0x90, 0x9F

_loaded: dict[str, ctypes.CDLL] = {}


def load(path: str) -> ctypes.CDLL:
    """The library, loaded once per process (vendor libraries keep the port's state between calls)."""
    if path not in _loaded:
        loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL  # type: ignore[attr-defined]
        try:
            _loaded[path] = loader(path)
        except OSError as exc:
            raise ReaderError(ReaderError.LIBRARY,
                              f"无法载入读卡器驱动“{path}”（{exc}）：文件可能损坏，或缺少它要用的其他厂家文件"
                              "（请把厂家驱动文件夹里的文件放在一起）。") from None
    return _loaded[path]


def _function(lib: Any, name: str, args: list, family: Family) -> Callable[..., int]:
    try:
        function = getattr(lib, name)
    except AttributeError:
        raise ReaderError(ReaderError.LIBRARY, f"驱动文件里没有 {name}：它不是“{family.label}”，"
                                               "请在“设置 → 读卡器”里选对接口类型。") from None
    function.argtypes = args
    function.restype = ctypes.c_int
    return function


def _optional(lib: Any, name: str, args: list, family: Family) -> Callable[..., int] | None:
    """A call not every version of the library has (the photo's)."""
    try:
        return _function(lib, name, args, family)
    except ReaderError:
        return None


def _day(text: str) -> date | None:
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None  # 长期 (valid for life) and anything unreadable


def _gender(text: str) -> str | None:
    text = text.strip()
    return {"1": "male", "男": "male", "2": "female", "女": "female"}.get(text)


def _ethnicity(text: str) -> str:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(ETHNICITIES):
        return ETHNICITIES[int(text) - 1]
    return OTHER_ETHNICITIES.get(text, text)


def _gbk(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("gb18030", errors="replace").strip()


def _card(fields: Sequence[str], port: int, photo_wlt: bytes | None = None,
          photo_bmp: bytes | None = None) -> CardData:
    """The card from its nine fields as the family gives them: name, sex, ethnicity, birth date, address, number,
    issuing office, valid from, valid to."""
    name, sex, nation, birth, address, number, issuer, start, end = fields
    number = number.strip().upper()
    if not number:
        raise misread()
    return CardData(name=name.strip(), gender=_gender(sex), ethnicity=_ethnicity(nation), birth_date=_day(birth),
                    address=address.strip(), id_number=number, issuer=issuer.strip(), valid_from=_day(start),
                    valid_to=_day(end), card_type=card_type_of(number), port=port, photo_wlt=photo_wlt,
                    photo_bmp=photo_bmp)


# --- the generic SAM API ------------------------------------------------------------------------------------------

WLT_SIZE = 1024  # the photo as SDT_ReadBaseMsg gives it
SAM_FIELDS = (("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("id", 18), ("issuer", 15),
              ("start", 8), ("end", 8))


def sam_text(raw: bytes) -> dict[str, str]:
    """The 256 bytes of UCS-2 the SAM module returns, cut into its fixed fields."""
    fields, offset = {}, 0
    for key, chars in SAM_FIELDS:
        fields[key] = raw[offset:offset + 2 * chars].decode("utf-16-le", errors="replace").replace("\0", "").strip()
        offset += 2 * chars
    return fields


class _Sam:
    def __init__(self, lib: Any, folder: Path):  # a ctypes library or a helper.ProxyLibrary; the library's folder
        f = Family.SDT
        self.open = _function(lib, "SDT_OpenPort", [ctypes.c_int], f)
        self.close = _function(lib, "SDT_ClosePort", [ctypes.c_int], f)
        self.find = _function(lib, "SDT_StartFindIDCard", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int], f)
        self.select = _function(lib, "SDT_SelectIDCard", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int], f)
        self.read_base = _function(lib, "SDT_ReadBaseMsg", [
            ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint), ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_uint), ctypes.c_int], f)

    def probe(self, port: int) -> bool:
        if self.open(port) == SAM_OK:
            self.close(port)
            return True
        return False

    def read(self, port: int) -> CardData:
        if self.open(port) != SAM_OK:
            raise no_reader()
        try:
            scratch = ctypes.create_string_buffer(16)
            if self.find(port, scratch, 0) != SAM_FOUND:
                raise no_card()
            if self.select(port, scratch, 0) != SAM_OK:
                raise misread()
            text, photo = ctypes.create_string_buffer(256), ctypes.create_string_buffer(1024)
            text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
            if self.read_base(port, text, ctypes.byref(text_len), photo, ctypes.byref(photo_len), 0) != SAM_OK:
                raise misread()
            f = sam_text(text.raw[:max(text_len.value, 256)])
            wlt = photo.raw[:photo_len.value] if photo_len.value == WLT_SIZE else None
            return _card([f[key] for key, _ in SAM_FIELDS], port, wlt)
        finally:
            self.close(port)


# --- 华视 CVR ------------------------------------------------------------------------------------------------------

CVR_GETTERS = ("GetPeopleName", "GetPeopleSex", "GetPeopleNation", "GetPeopleBirthday", "GetPeopleAddress",
               "GetPeopleIDCode", "GetDepartment", "GetStartDate", "GetEndDate")
CVR_PHOTO_ROOM = 40 * 1024  # GetBmpData's buffer in the vendor's sample; the BMP is 38862 bytes
CVR_LEFTOVERS = ("zp.bmp", "wz.txt")  # what CVR_Read_Content writes into the current directory: the photo, the text


class _Cvr:
    def __init__(self, lib: Any, folder: Path):  # a ctypes library or a helper.ProxyLibrary; the library's folder
        f = Family.CVR
        self.folder = folder
        self.get_bmp_data = _optional(lib, "GetBmpData", [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)], f)
        self.init = _function(lib, "CVR_InitComm", [ctypes.c_int], f)
        self.close = _function(lib, "CVR_CloseComm", [], f)
        self.authenticate = _function(lib, "CVR_Authenticate", [], f)
        self.read_content = _function(lib, "CVR_Read_Content", [ctypes.c_int], f)
        self.getters = [_function(lib, name, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)], f)
                        for name in CVR_GETTERS]

    def probe(self, port: int) -> bool:
        if self.init(port) == 1:
            self.close()
            return True
        return False

    def read(self, port: int) -> CardData:
        if self.init(port) != 1:
            raise no_reader()
        try:
            if self.authenticate() != 1:
                raise no_card()
            if self.read_content(1) != 1:
                raise misread()
            values = []
            for getter in self.getters:
                buffer, length = ctypes.create_string_buffer(256), ctypes.c_int(256)
                if getter(buffer, ctypes.byref(length)) != 1:
                    raise misread()
                values.append(_gbk(buffer.raw[:max(0, min(length.value, 255))] or buffer.raw))
            return _card(values, port, photo_bmp=self._photo())
        finally:
            self.close()
            self._remove_leftovers()

    def _photo(self) -> bytes | None:
        if self.get_bmp_data is None:
            return None
        buffer, length = ctypes.create_string_buffer(CVR_PHOTO_ROOM), ctypes.c_int(CVR_PHOTO_ROOM)
        if self.get_bmp_data(buffer, ctypes.byref(length)) != 1 or not 0 < length.value <= CVR_PHOTO_ROOM:
            return None
        bmp = buffer.raw[:length.value]
        return bmp if bmp.startswith(b"BM") else None

    def _remove_leftovers(self) -> None:
        """The photo and text CVR_Read_Content left on disk: a person's data, not kept."""
        try:
            folders = {Path.cwd(), self.folder}
        except OSError:  # the current directory is gone: nothing can have been written there
            folders = {self.folder}
        for folder in folders:
            for name in CVR_LEFTOVERS:
                try:
                    (folder / name).unlink(missing_ok=True)
                except OSError:
                    pass  # not ours to remove (a read-only folder): nothing else can be done here


# --- 神思 ---------------------------------------------------------------------------------------------------------


class IDCardData(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("Name", ctypes.c_char * 32), ("Sex", ctypes.c_char * 6), ("Nation", ctypes.c_char * 20),
                ("Born", ctypes.c_char * 18), ("Address", ctypes.c_char * 72), ("IDCardNo", ctypes.c_char * 38),
                ("GrantDept", ctypes.c_char * 32), ("UserLifeBegin", ctypes.c_char * 18),
                ("UserLifeEnd", ctypes.c_char * 18), ("reserved", ctypes.c_char * 38),
                ("PhotoFileName", ctypes.c_char * 255)]


SYN_PHOTO_FOLDER, SYN_BMP, SYN_NAME_TMP = 2, 0, 0  # Syn_SetPhotoPath / Syn_SetPhotoType / Syn_SetPhotoName options
SYN_OK, SYN_TEXT_ONLY = 0, 1  # Syn_ReadMsg: all read; the text read but the photo not decoded


class _Syn:
    def __init__(self, lib: Any, folder: Path):  # a ctypes library or a helper.ProxyLibrary; the library's folder
        f = Family.SYN
        self.set_photo_path = _optional(lib, "Syn_SetPhotoPath", [ctypes.c_int, ctypes.c_char_p], f)
        self.set_photo_type = _optional(lib, "Syn_SetPhotoType", [ctypes.c_int], f)
        self.set_photo_name = _optional(lib, "Syn_SetPhotoName", [ctypes.c_int], f)
        self.open = _function(lib, "Syn_OpenPort", [ctypes.c_int], f)
        self.close = _function(lib, "Syn_ClosePort", [ctypes.c_int], f)
        self.find = _function(lib, "Syn_StartFindIDCard", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int], f)
        self.select = _function(lib, "Syn_SelectIDCard", [ctypes.c_int, ctypes.c_char_p, ctypes.c_int], f)
        self.read_msg = _function(lib, "Syn_ReadMsg", [ctypes.c_int, ctypes.c_int, ctypes.POINTER(IDCardData)], f)

    def probe(self, port: int) -> bool:
        if self.open(port) == 0:
            self.close(port)
            return True
        return False

    def read(self, port: int) -> CardData:
        if self.open(port) != 0:
            raise no_reader()
        try:
            scratch = ctypes.create_string_buffer(16)
            if self.find(port, scratch, 0) != 0:
                raise no_card()
            if self.select(port, scratch, 0) != 0:
                raise misread()
            data = IDCardData()
            folder = Path(tempfile.mkdtemp(prefix="adultschool-card-"))  # owner-only, for the photo
            try:
                self._photo_into(folder)
                code = self.read_msg(port, 0, ctypes.byref(data))
                photo = self._photo(data) if code in (SYN_OK, SYN_TEXT_ONLY) else None
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            if code not in (SYN_OK, SYN_TEXT_ONLY):
                raise misread()
            return _card([_gbk(getattr(data, name)) for name in (
                "Name", "Sex", "Nation", "Born", "Address", "IDCardNo", "GrantDept", "UserLifeBegin", "UserLifeEnd")],
                port, photo_bmp=photo)
        finally:
            self.close(port)

    def _photo_into(self, folder: Path) -> None:
        if self.set_photo_path and self.set_photo_type and self.set_photo_name:
            self.set_photo_path(SYN_PHOTO_FOLDER, native_path(folder))
            self.set_photo_type(SYN_BMP)
            self.set_photo_name(SYN_NAME_TMP)

    @staticmethod
    def _photo(data: IDCardData) -> bytes | None:
        """The BMP the library wrote where PhotoFileName says (wherever that is), the file deleted."""
        raw = data.PhotoFileName.split(b"\0", 1)[0]
        if not raw:
            return None
        name = raw.decode("mbcs", errors="replace") if sys.platform == "win32" else os.fsdecode(raw)
        return read_bmp(Path(name))


_FAMILIES: dict[Family, type[_Sam] | type[_Cvr] | type[_Syn]] = {Family.SDT: _Sam, Family.CVR: _Cvr,
                                                                  Family.SYN: _Syn}


def read(config: ReaderConfig, library: Any = None) -> CardData:
    """The card on the configured port, or on the first port of the scan that has a reader: through `library` (a
    helper.ProxyLibrary), or the library loaded in this process."""
    calls = _FAMILIES[config.family](library if library is not None else load(config.library),
                                     Path(config.library).parent)
    if config.port is not None:
        return calls.read(config.port)
    for port in SCAN_ORDER:
        if calls.probe(port):
            return calls.read(port)
    raise no_reader("（已查找 USB 端口 1001–1016 和串口 1–16。）")
