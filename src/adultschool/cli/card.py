"""`adultschool card setup|show|read`: this PC's ID card reader (services.card_reader)."""
from __future__ import annotations

import argparse
import json

from adultschool.cli.common import EXIT_OK, Adder, actor, open_db
from adultschool.db import unit_of_work
from adultschool.idreader import Family, Mode
from adultschool.services import card_reader


def cmd_card_setup(args: argparse.Namespace) -> int:
    config = None if args.clear else card_reader.checked_config(
        args.library or "", args.family or "", args.port, mode=args.mode, photo_decoder=args.photo_decoder,
        helper=args.helper)
    db = open_db(args)
    with unit_of_work(db.engine) as session:
        card_reader.save_reader_config(session, config, actor=actor(args))
    if config is None:
        print("已取消本机的读卡器设置。")
        print("card reader cleared")
    else:
        print(f"本机读卡器：{config.family.label}，驱动 {config.library}，端口 {config.port or '自动查找'}"
              + (f"，32位驱动经 {config.helper} 读卡" if config.helper else "")
              + (f"，照片由 {config.photo_decoder} 解码" if config.photo_decoder else ""))
        print(f"card reader {config.family.value} {config.port or 'auto'}")
    return EXIT_OK


def cmd_card_show(_args: argparse.Namespace) -> int:
    config = card_reader.reader_config()
    if config is None:
        print("本机还没有设置读卡器（adultschool card setup --library 驱动文件 --family sdt|cvr|syn）。")
        print("card reader none")
        return EXIT_OK
    print(json.dumps(config.as_json(), ensure_ascii=False))
    return EXIT_OK


def cmd_card_read(args: argparse.Namespace) -> int:
    """Reads the card on the reader (a test of the settings): the number is shown masked."""
    reading = card_reader.read_for_registration()
    if args.format == "json":
        data = reading.card.as_json()
        data["id_number"] = reading.masked_id
        photo = {"photo": "read" if reading.photo is not None else None, "photo_problem": reading.photo_problem}
        print(json.dumps(data | {"warnings": list(reading.warnings)} | photo, ensure_ascii=False))
    else:
        for line in reading.lines():
            print(line)
        print(f"card read on port {reading.card.port}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction, add: Adder) -> None:
    group = commands.add_parser("card", help="身份证读卡器（本机）").add_subparsers(
        dest="card_command", metavar="COMMAND", required=True)
    p = add(group, "setup", cmd_card_setup, "设置本机的读卡器：厂家驱动文件、接口类型、端口")
    p.add_argument("--library", help="驱动文件，如 C:\\读卡器\\sdtapi.dll")
    p.add_argument("--family", choices=[f.value for f in Family],
                   help="sdt：通用 SAM 接口（sdtapi.dll）；cvr：华视（termb.dll）；syn：神思（SynIDCardAPI.dll）")
    p.add_argument("--port", default="auto", help="1001–1016（USB）、1–16（串口）或 auto（自动查找，默认）")
    p.add_argument("--mode", choices=[m.value for m in Mode], default="auto",
                   help="auto：32位驱动经读卡辅助程序 idreader32.exe 读卡（默认）；direct：直接载入；helper：总是经辅助程序")
    p.add_argument("--helper", help="读卡辅助程序 idreader32.exe，不是随本程序安装的那个时才要（如从源代码运行时）")
    p.add_argument("--photo-decoder", help="读出证件照片用的厂家解码文件（WltRS.dll；通用 SAM 接口）；不填则不读照片")
    p.add_argument("--clear", action="store_true", help="取消本机的读卡器设置")
    add(group, "show", cmd_card_show, "本机的读卡器设置")
    p = add(group, "read", cmd_card_read, "读一张身份证试试（号码遮挡显示）")
    p.add_argument("--format", choices=("text", "json"), default="text")
