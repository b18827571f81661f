"""The ID card reader adapter against a stand-in vendor library built from C for the test (tests/standin): each
family's calls, the port scan, the errors a clerk sees, the helper program for a 32-bit library (idreader32, built
here natively from the C source the installer builds idreader32.exe from), and what a read proposes for a
registration."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from adultschool import idcard, idreader
from adultschool.errors import AdultSchoolError
from adultschool.idreader import CardType, Family, Mode, ReaderConfig, ReaderError, helper
from adultschool.services import card_reader
from factories import make_id

from standinlib import CARD_ID as ID
from standinlib import SOURCE as STANDIN
from standinlib import card, helper32, standin  # noqa: F401 - fixtures


@pytest.mark.parametrize("family", list(Family))
def test_each_family_reads_the_card_as_the_vendor_library_gives_it(standin, card, family):
    found = idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    assert (found.name, found.gender, found.ethnicity, found.birth_date, found.id_number) == (
        "葛晓燕", "female", "汉", date(1991, 7, 9), ID)
    assert found.address == "浙江省宁波市北仑区大碶街道灵峰路88号" and found.issuer == "宁波市公安局北仑分局"
    assert (found.valid_from, found.valid_to, found.card_type, found.port) == (
        date(2020, 1, 1), date(2040, 1, 1), CardType.RESIDENT, 1002)
    assert ID not in repr(found)


def test_the_port_is_found_by_scanning_usb_then_serial(standin, card):
    log = card(port="3")
    found = idreader.read_card(ReaderConfig(str(standin), Family.SDT, None, Mode.DIRECT))
    assert found.port == 3
    opened = [int(line.split()[1]) for line in log.read_text().splitlines() if line.startswith("SDT_OpenPort")]
    assert opened[:16] == list(range(1001, 1017)) and opened[16:19] == [1, 2, 3]


@pytest.mark.parametrize("family", list(Family))
@pytest.mark.parametrize(("state", "kind", "words"), [
    ({"reader": "absent"}, ReaderError.NO_READER, "未检测到读卡器"),
    ({"card": "absent"}, ReaderError.NO_CARD, "请把身份证放在读卡器上"),
    ({"card": "misread"}, ReaderError.MISREAD, "请把身份证拿开再放一次"),
])
def test_what_went_wrong_is_said_in_words_a_clerk_can_act_on(standin, card, family, state, kind, words):
    card(**state)
    with pytest.raises(ReaderError, match=words) as caught:
        idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    assert caught.value.kind == kind


def test_a_missing_driver_or_the_wrong_family_is_named(standin, card, tmp_path):
    with pytest.raises(ReaderError, match="找不到读卡器的驱动文件"):
        idreader.read_card(ReaderConfig(str(tmp_path / "sdtapi.dll"), Family.SDT, 1002))
    other = tmp_path / "libother.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(other), "-x", "c", "-"], input=b"int x(void){return 0;}",
                   check=True)
    with pytest.raises(ReaderError, match="驱动文件里没有 CVR_InitComm.*华视"):
        idreader.read_card(ReaderConfig(str(other), Family.CVR, 1002, Mode.DIRECT))


@pytest.fixture
def through_helper(standin, helper32):
    """A config for the stand-in read through the helper; the helper processes are stopped afterwards."""

    def config(family: Family = Family.SYN, **changes) -> ReaderConfig:
        fields = {"port": 1002, "helper": str(helper32)} | changes
        return ReaderConfig(str(standin), family, mode=Mode.HELPER, **fields)

    yield config
    helper.stop_helpers()


def _helper_pid(helper32) -> int:
    return helper._processes[helper32].process.pid


@pytest.mark.parametrize("family", list(Family))
def test_each_family_reads_the_same_card_through_the_helper_as_directly(standin, card, through_helper, family):
    direct = idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    proxied = idreader.read_card(through_helper(family))
    assert proxied == direct and proxied.name == "葛晓燕" and proxied.id_number == ID
    assert proxied.photo_wlt == direct.photo_wlt and (family is not Family.SDT or len(proxied.photo_wlt) == 1024)
    log = card(port="3")
    assert idreader.read_card(through_helper(family, port=None)).port == 3  # the port scan through the helper too
    opened = [line.split()[0] for line in log.read_text().splitlines()]
    assert len(opened) > 19


@pytest.mark.parametrize("family", list(Family))
@pytest.mark.parametrize(("state", "kind", "words"), [
    ({"reader": "absent"}, ReaderError.NO_READER, "未检测到读卡器"),
    ({"card": "absent"}, ReaderError.NO_CARD, "请把身份证放在读卡器上"),
    ({"card": "misread"}, ReaderError.MISREAD, "请把身份证拿开再放一次"),
])
def test_the_helper_passes_the_clerks_errors_on(card, through_helper, family, state, kind, words):
    card(**state)
    with pytest.raises(ReaderError, match=words) as caught:
        idreader.read_card(through_helper(family))
    assert caught.value.kind == kind


def test_one_helper_serves_every_read_and_one_that_died_is_started_again(card, through_helper, helper32):
    config = through_helper(Family.SDT)
    assert idreader.read_card(config).name == "葛晓燕"
    first = _helper_pid(helper32)
    card(card="absent")
    with pytest.raises(ReaderError, match="请把身份证放在读卡器上"):
        idreader.read_card(config)
    card()
    assert idreader.read_card(config).name == "葛晓燕" and _helper_pid(helper32) == first
    helper._processes[helper32].process.kill()  # between reads
    helper._processes[helper32].process.wait()
    assert idreader.read_card(config).name == "葛晓燕" and _helper_pid(helper32) != first
    second = _helper_pid(helper32)
    card(die="SDT_ReadBaseMsg")  # the vendor DLL takes the helper down in the middle of a read
    with pytest.raises(ReaderError, match="读卡辅助程序（idreader32.exe）没有回应") as caught:
        idreader.read_card(config)
    assert caught.value.kind == ReaderError.LIBRARY and not helper._processes[helper32].alive
    card()
    assert idreader.read_card(config).name == "葛晓燕" and _helper_pid(helper32) not in (first, second)


def test_a_helper_that_does_not_answer_in_time_is_given_up_on(card, through_helper, tmp_path, monkeypatch):
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexec sleep 30\n")
    silent.chmod(0o755)
    monkeypatch.setattr(helper, "REPLY_SECONDS", 0.5)
    with pytest.raises(ReaderError, match="没有回应"):
        idreader.read_card(through_helper(helper=str(silent)))
    assert not helper._processes[silent].alive


def test_a_missing_helper_a_bad_driver_or_a_missing_export_is_named(card, through_helper, tmp_path):
    with pytest.raises(ReaderError, match="找不到读卡辅助程序.*请重新安装本程序"):
        idreader.read_card(through_helper(helper=str(tmp_path / "idreader32.exe")))
    broken = tmp_path / "sdtapi.dll"
    broken.write_bytes(b"MZ not really a library")
    with pytest.raises(ReaderError, match="读卡辅助程序无法载入读卡器驱动.*sdtapi.dll") as caught:
        idreader.read_card(replace(through_helper(Family.SDT), library=str(broken)))
    assert caught.value.kind == ReaderError.LIBRARY
    other = tmp_path / "libother.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(other), "-x", "c", "-"], input=b"int x(void){return 0;}",
                   check=True)
    with pytest.raises(ReaderError, match="驱动文件里没有 CVR_InitComm.*华视"):
        idreader.read_card(replace(through_helper(Family.CVR), library=str(other)))


def test_the_card_photo_is_decoded_through_the_helper_too(card, through_helper, standin):
    config = through_helper(Family.SDT, photo_decoder=str(standin))
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.photo is not None and reading.photo.startswith(b"BM") and reading.photo_problem is None
    card(photo="bad")
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.photo is None and "返回 -4：照片数据格式不对" in reading.photo_problem


def _talk(helper32, *lines: str) -> list[dict]:
    result = subprocess.run([str(helper32)], input="".join(line + "\n" for line in lines).encode(),
                            capture_output=True, timeout=30)
    assert result.returncode == 0  # it ends when its input closes, whatever it was sent
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_the_helper_answers_every_line_even_one_it_cannot_read(standin, helper32, tmp_path):
    lib = json.dumps(str(standin))
    replies = _talk(
        helper32,
        "not json", "[1, 2]", '{"op": "call", "lib": ' + lib,  # not JSON / not an object / cut off
        '{"op": "erase", "lib": "x", "fn": "y"}', '{"op": "find", "lib": "", "fn": "SDT_OpenPort"}',
        '{"op": "call", "lib": ' + lib + ', "fn": "SDT_OpenPort", "args": [["i", 1], ["i", 2], ["i", 3], ["i", 4], '
        '["i", 5], ["i", 6], ["i", 7], ["i", 8], ["i", 9]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "SDT_OpenPort", "args": [["x", 1]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "GetPeopleName", "args": [["b", 2, "!!!"], ["p", 1]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "GetPeopleName", "args": [["b", 2, "QUJDRA=="], ["p", 1]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "SDT_OpenPort", "args": [["i", 1.5]]}',
        "",  # a blank line is no request
        '{"op": "find", "lib": ' + json.dumps(str(tmp_path / "none.so")) + ', "fn": "SDT_OpenPort"}',
        '{"op": "find", "lib": ' + lib + ', "fn": "SDT_Nothing"}',
        '{"op": "find", "lib": ' + lib + ', "fn": "SDT_OpenPort"}',
        '{"op": "call", "lib": ' + lib + ', "fn": "SDT_StartFindIDCard", "args": [["i", 1002], ["n"], ["i", 0]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "GetPeopleName", "args": [["b", 4, "QUI="], ["p", 7]]}',
        '{"op": "call", "lib": ' + lib + ', "fn": "SDT_OpenPort", "args": [["i", 1002]], "extra": [{"a": null}]}',
    )
    assert [r["ok"] for r in replies] == [False] * 12 + [True] * 4
    # integers only: 1.5 is not in the grammar
    assert [r["error"] for r in replies[:12]] == ["json"] * 3 + ["request"] * 6 + ["json", "load", "symbol"]
    assert "at most 8" in replies[5]["message"] and "argument 1" in replies[6]["message"]
    assert "not base64 or longer than 2" in replies[7]["message"] and "longer than 2" in replies[8]["message"]
    assert "none.so" in replies[10]["message"] and "SDT_Nothing" in replies[11]["message"]
    assert replies[13]["out"] == [None, None, None] and replies[13]["ret"] == 0x80  # no card in the stand-in's state
    assert replies[14] == {"ok": True, "ret": 0, "out": ["QUIAAA==", 7]}  # the CVR getter refuses before a read
    assert replies[15] == {"ok": True, "ret": 1, "out": [None]}  # no reader: SDT_OpenPort says 1


def test_the_helper_takes_a_path_in_chinese_written_with_escapes(standin, helper32, tmp_path, card):
    folder = tmp_path / "读卡器驱动"
    folder.mkdir()
    copy = folder / "神思.so"
    shutil.copy(standin, copy)
    request = {"op": "call", "lib": str(copy), "fn": "Syn_OpenPort", "args": [["i", 1002]]}
    assert _talk(helper32, json.dumps(request), json.dumps(request, ensure_ascii=False)) == [
        {"ok": True, "ret": 0, "out": [None]}] * 2


def test_an_old_saved_setting_with_a_32_bit_python_still_reads():
    saved = {"library": "C:/读卡器/sdtapi.dll", "family": "sdt", "port": 1001, "mode": "auto",
             "helper_python": "C:/Python311-32/python.exe", "photo_decoder": None}
    config = ReaderConfig.from_json(saved)
    assert (config.library, config.port, config.helper) == ("C:/读卡器/sdtapi.dll", 1001, None)
    assert "helper_python" not in config.as_json()


def _pe(machine: int) -> bytes:
    head = bytearray(512)
    head[:2] = b"MZ"
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    head[0x80:0x84] = b"PE\0\0"
    head[0x84:0x86] = machine.to_bytes(2, "little")
    return bytes(head)


def test_a_32_bit_windows_driver_goes_to_the_installed_helper(tmp_path, helper32):
    dll = tmp_path / "sdtapi.dll"
    dll.write_bytes(_pe(0x014C))
    assert idreader.library_bits(dll) == 32 and idreader.library_bits(tmp_path / "none.dll") is None
    (tmp_path / "amd64.dll").write_bytes(_pe(0x8664))
    assert idreader.library_bits(tmp_path / "amd64.dll") == 64
    assert idreader.needs_helper(ReaderConfig(str(dll), Family.SDT))
    assert idreader.installed_helper() == Path(sys.executable).resolve().parent.parent / "idreader32.exe"
    with pytest.raises(AdultSchoolError, match="这个驱动是32位的.*idreader32.exe.*请重新安装本程序") as caught:
        card_reader.checked_config(str(dll), "sdt", "auto")  # this Python has no idreader32.exe beside it
    assert caught.value.field == "helper"
    config = card_reader.checked_config(str(dll), "sdt", "1001", helper=str(helper32))
    assert (config.port, config.helper) == (1001, str(helper32))
    with pytest.raises(AdultSchoolError, match="找不到读卡辅助程序") as caught:
        card_reader.checked_config(str(dll), "sdt", "1001", helper=str(tmp_path / "idreader32.exe"))
    assert caught.value.field == "helper"
    for port, words in (("7000", "USB 读卡器是 1001–1016"), ("abc", "不知道就选“自动查找”")):
        with pytest.raises(AdultSchoolError, match=words):
            card_reader.checked_config(str(dll), "sdt", port, helper=str(helper32))


def test_mingw_builds_the_stand_in_as_a_windows_dll_for_the_wine_check(tmp_path):
    if shutil.which("x86_64-w64-mingw32-gcc") is None:
        pytest.skip("mingw is not installed")
    out = tmp_path / "sdtapi.dll"
    subprocess.run(["x86_64-w64-mingw32-gcc", "-shared", "-O1", "-o", str(out), str(STANDIN)], check=True)
    assert idreader.library_bits(out) == 64
    exports = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(out)], capture_output=True, text=True).stdout
    assert all(name in exports for name in ("SDT_ReadBaseMsg", "CVR_Read_Content", "Syn_ReadMsg"))


def test_i686_mingw_builds_the_helper_as_a_32_bit_windows_program(tmp_path):
    if shutil.which("i686-w64-mingw32-gcc") is None:
        pytest.skip("i686 mingw is not installed")
    from standinlib import HELPER_SOURCE

    out = tmp_path / "idreader32.exe"
    subprocess.run(["i686-w64-mingw32-gcc", "-O2", "-s", "-Wall", "-Wextra", "-Werror", "-o", str(out),
                    str(HELPER_SOURCE)], check=True)
    assert idreader.library_bits(out) == 32
    headers = subprocess.run(["i686-w64-mingw32-objdump", "-p", str(out)], capture_output=True, text=True).stdout
    assert sorted(line.split()[-1] for line in headers.splitlines() if "DLL Name:" in line) == [
        "KERNEL32.dll", "msvcrt.dll"]  # nothing Windows 10 does not have


def test_a_read_for_registration_checks_the_number_and_says_what_to_look_at(standin, card):
    config = ReaderConfig(str(standin), Family.SDT, 1002, Mode.DIRECT)
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.warnings == () and reading.masked_id == ID[:6] + "********" + ID[14:]
    assert "姓名：葛晓燕" in reading.lines() and all(ID not in line for line in reading.lines())
    card(to="20251231", sex="1")
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert any("已于 2025-12-31 过期" in w for w in reading.warnings)
    assert any("性别与号码中的不一致" in w for w in reading.warnings)
    permit = make_id(date(1985, 2, 3), male=False, serial=5)
    permit = "810000" + permit[6:17]
    from stdnum.cn import ric

    permit += ric.calc_check_digit(permit)
    card(id=permit, sex="2", birth="19850203", to="20300101")
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.card.card_type is CardType.HMT_PERMIT and reading.warnings == ()
    with pytest.raises(ReaderError, match="还没有设置读卡器"):
        card_reader.read_for_registration(None)


def test_the_command_line_sets_up_the_reader_and_reads_a_card(standin, card, tmp_path, capsys, fresh_db):
    from adultschool.cli import main as cli_main

    db = fresh_db("s")
    assert cli_main(["init", "--db", db, "--school-code", "330206-01", "--school-name", "大碶成校"]) == 0
    assert cli_main(["card", "setup", "--db", db, "--library", str(standin), "--family", "syn"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "card reader syn auto"
    assert cli_main(["card", "read", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "姓名：葛晓燕" in out and ID not in out and out.strip().endswith("card read on port 1002")
    card(card="absent")
    assert cli_main(["card", "read", "--db", db]) == 2
    assert "请把身份证放在读卡器上" in capsys.readouterr().err
    assert cli_main(["card", "setup", "--db", db, "--library", str(tmp_path / "nope.dll"), "--family", "sdt"]) == 2
    assert "找不到文件" in capsys.readouterr().err
    assert cli_main(["card", "setup", "--db", db, "--clear"]) == 0
    assert card_reader.reader_config() is None


def test_the_vendor_decoder_turns_the_card_photo_into_a_bmp_and_leaves_no_file(standin, card, tmp_path, monkeypatch):
    import io
    import tempfile

    from PIL import Image

    from adultschool.idreader import photo

    scratch = tmp_path / "temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    log = card()
    config = ReaderConfig(str(standin), Family.SDT, 1002, Mode.DIRECT, photo_decoder=str(standin))
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.photo_problem is None and Image.open(io.BytesIO(reading.photo)).size == (102, 126)
    assert "照片：已读出（登记时勾选“使用证件照片”才会保存）" in reading.lines()
    assert "GetBmp 2" in log.read_text().splitlines()  # USB port 1002: the decoder is told USB
    assert list(scratch.iterdir()) == []  # the WLT and the BMP went with their temporary folder
    assert "photo_wlt" not in reading.card.as_json()
    card(photo="bad")
    reading = card_reader.read_for_registration(config, today=date(2026, 12, 2))
    assert reading.photo is None and "返回 -4：照片数据格式不对" in reading.photo_problem
    with pytest.raises(ReaderError, match="找不到照片解码文件"):
        photo.decode_wlt(b"\x5a" * 1024, str(tmp_path / "WltRS.dll"))
    # without a decoder in the settings the photo is not asked for at all
    plain = card_reader.read_for_registration(ReaderConfig(str(standin), Family.SDT, 1002, Mode.DIRECT))
    assert plain.photo is None and plain.photo_problem is None


@pytest.fixture
def photo_dirs(tmp_path, monkeypatch):
    """The current directory (where a CVR library writes zp.bmp) and the temporary folder, both empty."""
    current, scratch = tmp_path / "current", tmp_path / "temp"
    current.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(current)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return current, scratch


@pytest.mark.parametrize("family", [Family.CVR, Family.SYN])
def test_cvr_and_syn_libraries_hand_over_the_photo_they_decoded_and_no_file_is_left(standin, card, photo_dirs,
                                                                                    family):
    from PIL import Image

    log = card()
    found = idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    assert Image.open(io.BytesIO(found.photo_bmp)).size == (102, 126) and found.photo_wlt is None
    assert [list(folder.iterdir()) for folder in photo_dirs] == [[], []]  # zp.bmp, wz.txt, the Syn folder: gone
    assert list(standin.parent.glob("*.bmp")) == [] and "photo_bmp" not in found.as_json()
    calls = log.read_text().splitlines()
    assert ("GetBmpData 0" in calls) if family is Family.CVR else (
        {"Syn_SetPhotoPath 2", "Syn_SetPhotoType 0", "Syn_SetPhotoName 0"} <= set(calls))
    card(photo="bad")  # the text still comes
    found = idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    assert found.photo_bmp is None and found.name == "葛晓燕"
    assert [list(folder.iterdir()) for folder in photo_dirs] == [[], []]


def test_a_syn_library_without_the_photo_settings_still_has_its_photo_read_and_deleted(card, photo_dirs, tmp_path):
    from standinlib import build

    folder = tmp_path / "older"
    folder.mkdir()
    older = build(folder, "STANDIN_NO_SYN_PHOTO_SETTERS")
    found = idreader.read_card(ReaderConfig(str(older), Family.SYN, 1002, Mode.DIRECT))
    assert found.photo_bmp is not None and found.photo_bmp.startswith(b"BM") and found.name == "葛晓燕"
    assert [list(folder.iterdir()) for folder in photo_dirs] == [[], []]  # its tmp.bmp in the current directory: gone


@pytest.mark.parametrize("family", [Family.CVR, Family.SYN])
def test_the_photo_cvr_and_syn_decode_comes_through_the_helper_too(standin, card, through_helper, photo_dirs,
                                                                   family):
    direct = idreader.read_card(ReaderConfig(str(standin), family, 1002, Mode.DIRECT))
    proxied = idreader.read_card(through_helper(family))
    assert proxied.photo_bmp is not None and proxied.photo_bmp == direct.photo_bmp
    assert proxied.photo_bmp.startswith(b"BM") and len(proxied.photo_bmp) == 38862
    assert [list(folder.iterdir()) for folder in photo_dirs] == [[], []]


def test_a_2017_foreign_permanent_residence_card_is_recognised(standin, card):
    number = "USA33029001151" + idcard.foreign_2017_check_digit("USA33029001151")
    card(id=number)
    found = idreader.read_card(ReaderConfig(str(standin), Family.CVR, 1002, Mode.DIRECT))
    assert (found.id_number, found.card_type) == (number, CardType.FOREIGN_PERMANENT)
    assert idreader.card_type_of(number) is CardType.FOREIGN_PERMANENT


def test_card_setup_takes_a_photo_decoder(standin, card, capsys, fresh_db):
    from adultschool.cli import main

    db = fresh_db("school")
    assert main(["init", "--db", db, "--school-code", "330206-01", "--school-name", "大碶成校"]) == 0
    assert main(["--db", db, "card", "setup", "--library", str(standin), "--family", "sdt", "--port", "1002",
                 "--photo-decoder", str(standin)]) == 0
    assert "照片由" in capsys.readouterr().out
    assert main(["card", "read", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["photo"] == "read"
    assert main(["--db", db, "card", "setup", "--library", str(standin), "--family", "sdt",
                 "--photo-decoder", "/没有/WltRS.dll"]) == 2
    assert "找不到照片解码文件" in capsys.readouterr().err


def test_card_setup_names_a_helper_for_a_copy_run_from_source(standin, card, helper32, capsys, fresh_db):
    from adultschool.cli import main

    db = fresh_db("school")
    assert main(["init", "--db", db, "--school-code", "330206-01", "--school-name", "大碶成校"]) == 0
    try:
        assert main(["--db", db, "card", "setup", "--library", str(standin), "--family", "cvr", "--mode", "helper",
                     "--helper", str(helper32)]) == 0
        assert f"32位驱动经 {helper32} 读卡" in capsys.readouterr().out
        assert card_reader.reader_config().helper == str(helper32)
        assert main(["card", "read", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["name"] == "葛晓燕"
        assert helper._processes[helper32].alive  # the card came through the helper
    finally:
        helper.stop_helpers()
    assert main(["--db", db, "card", "setup", "--library", str(standin), "--family", "cvr",
                 "--helper", "/没有/idreader32.exe"]) == 2
    assert "找不到读卡辅助程序" in capsys.readouterr().err


@pytest.mark.parametrize("family", [Family.CVR, Family.SYN])
def test_the_registration_offers_the_photo_the_cvr_and_syn_libraries_decode_themselves(standin, card, family):
    reading = card_reader.read_for_registration(ReaderConfig(str(standin), family, 1002, Mode.DIRECT),
                                                today=date(2026, 12, 2))
    assert reading.photo is not None and reading.photo.startswith(b"BM") and reading.photo_problem is None
    assert "照片：已读出（登记时勾选“使用证件照片”才会保存）" in reading.lines()
