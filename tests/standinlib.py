"""The stand-in ID card reader library (tests/standin/idreader_standin.c): built once per test session with gcc, and
the state file it answers from (a reader on port 1002 with 葛晓燕's card, unless told otherwise). Also the helper
program for 32-bit libraries (installer/idreader32/idreader32.c), built natively from the same C source the
installer builds idreader32.exe from."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from factories import make_id

SOURCE = Path(__file__).parent / "standin" / "idreader_standin.c"
HELPER_SOURCE = Path(__file__).parent.parent / "installer" / "idreader32" / "idreader32.c"
CARD_ID = make_id(date(1991, 7, 9), male=False, serial=12)
CARD_ADDRESS = "浙江省宁波市北仑区大碶街道灵峰路88号"


def gbk(text: str) -> str:
    return "hex:" + text.encode("gbk").hex()


def build(folder: Path, *defines: str) -> Path:
    """The stand-in as a shared library; `defines` (such as "STANDIN_NO_SYN_PHOTO_SETTERS") select a variant."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the stand-in reader library")
    out = folder / "libidreader_standin.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", *(f"-D{d}" for d in defines), "-o", str(out),
                    str(SOURCE)], check=True)
    return out


def write_state(path: Path, **changes: str) -> None:
    fields = {"reader": "present", "port": "1002", "card": "present", "name": "葛晓燕", "sex": "2",
              "nation": "01", "birth": "19910709", "address": CARD_ADDRESS, "id": CARD_ID,
              "issuer": "宁波市公安局北仑分局", "from": "20200101", "to": "20400101",
              "gbk_name": gbk("葛晓燕"), "gbk_sex": gbk("女"), "gbk_nation": gbk("汉"),
              "gbk_address": gbk(CARD_ADDRESS), "gbk_issuer": gbk("宁波市公安局北仑分局")}
    fields.update(changes)
    path.write_text("".join(f"{k}={v}\n" for k, v in fields.items()), encoding="utf-8")


def build_helper(folder: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the reader helper")
    out = folder / "idreader32"
    subprocess.run(["gcc", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(out), str(HELPER_SOURCE), "-ldl"],
                   check=True)
    return out


@pytest.fixture(scope="session")
def standin(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("standin"))


@pytest.fixture(scope="session")
def helper32(tmp_path_factory) -> Path:
    """idreader32 built for this machine (on Windows the installer builds the same source as a 32-bit .exe)."""
    return build_helper(tmp_path_factory.mktemp("helper32"))


@pytest.fixture
def card(tmp_path, monkeypatch):
    """`card(**fields)` rewrites the stand-in's state and returns the file its calls are logged to."""
    state = tmp_path / "reader-state.txt"
    log = tmp_path / "reader-calls.txt"
    monkeypatch.setenv("IDREADER_STANDIN_STATE", str(state))
    monkeypatch.setenv("IDREADER_STANDIN_LOG", str(log))

    def put(**changes: str) -> Path:
        write_state(state, **changes)
        return log

    put()
    return put
