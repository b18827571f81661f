"""A 32-bit library read from a 64-bit program: a helper process (`python -m adultschool.idreader.helper`, started
with the 32-bit Python named in the settings) loads it and answers one JSON line per request on its standard
output:  {"config": {...}}  →  {"ok": true, "card": {...}}  or  {"ok": false, "kind": "...", "message": "..."}.

The helper lives while the program does (the library keeps its port open between reads, and starting a Python per
poll would be slow on an old PC); a dead or silent helper is started again on the next read.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from adultschool.idreader import CardData, ReaderConfig, ReaderError

REPLY_SECONDS = 20.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `adultschool`


class _Helper:
    def __init__(self, python: str):
        env = dict(os.environ)
        env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONIOENCODING"] = "utf-8"
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            self.process = subprocess.Popen([python, "-m", "adultschool.idreader.helper"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                            creationflags=flags)
        except OSError as exc:
            raise ReaderError(ReaderError.LIBRARY, f"无法启动读卡用的 Python“{python}”（{exc}）：请在“设置 → 读卡器”"
                                                   "里重新选择32位 Python 的 python.exe。") from None
        self.lock = threading.Lock()

    def ask(self, request: dict) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
            self.process.stdin.flush()
            line: list[bytes] = []
            reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
            reader.start()
            reader.join(REPLY_SECONDS)
        if not line or not line[0]:
            self.stop()
            raise ReaderError(ReaderError.LIBRARY, "读卡用的辅助程序没有回应（可能是驱动出错退出了）：请再试一次；"
                                                   "如仍不行，请重新插拔读卡器。")
        return json.loads(line[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


_helpers: dict[str, _Helper] = {}


def read_via_helper(config: ReaderConfig) -> CardData:
    python = config.helper_python or sys.executable
    helper = _helpers.get(python)
    if helper is None or not helper.alive:
        helper = _helpers[python] = _Helper(python)
    reply = helper.ask({"config": config.as_json()})
    if reply.get("ok"):
        return CardData.from_json(reply["card"])
    raise ReaderError(reply.get("kind") or ReaderError.LIBRARY, reply.get("message") or "读卡失败。")


def stop_helpers() -> None:
    for helper in _helpers.values():
        helper.stop()
    _helpers.clear()


atexit.register(stop_helpers)


def serve(stdin=None, stdout=None) -> None:  # noqa: ANN001 - binary streams
    """The helper's side: read requests until the pipe closes; every failure becomes an answer, never a crash."""
    from adultschool.idreader import families

    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    for raw in stdin:
        try:
            config = ReaderConfig.from_json(json.loads(raw)["config"])
            reply = {"ok": True, "card": families.read(config).as_json()}
        except ReaderError as exc:
            reply = {"ok": False, "kind": exc.kind, "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the program needs an answer, whatever the library did
            reply = {"ok": False, "kind": ReaderError.LIBRARY, "message": f"读卡出错：{exc}"}
        stdout.write((json.dumps(reply, ensure_ascii=False) + "\n").encode())
        stdout.flush()


if __name__ == "__main__":
    serve()
