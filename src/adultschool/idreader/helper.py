"""A 32-bit vendor library read from the 64-bit program: the installer ships `idreader32.exe` (C source in
installer/idreader32/idreader32.c, built with i686 mingw), a generic DLL proxy that loads the library and calls
its exports by name. `ProxyLibrary` stands where a ctypes library would: `lib.SDT_OpenPort` is a function that
takes what the ctypes function takes, so the families' calls, their order and the field layouts (families.py) are
the same code for both paths.

The pipe (the C file's header has the whole protocol): one JSON line per request, one per answer, in order —
  {"op": "find", "lib": PATH, "fn": NAME}                   → {"ok": true}
  {"op": "call", "lib": PATH, "fn": NAME, "args": [ARG…]}  → {"ok": true, "ret": INT, "out": [OUT…]}
  failures                                                  → {"ok": false, "error": KIND, "message": TEXT}
with ARG ["i", N] (an int), ["b", SIZE, BASE64] (a buffer of SIZE bytes, OUT its bytes afterwards in base64),
["p", N] (a pointer to an int, OUT its value afterwards) or ["n"] (a null pointer).

One helper process lives while the program does (the library keeps its port open between reads, and a process per
poll would be slow on an old PC). A helper that dies or goes silent fails the read it was in (the library's state
went with it) and is started again for the next read.
"""
from __future__ import annotations

import atexit
import base64
import ctypes
import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from adultschool.idreader import ReaderError, installed_helper

REPLY_SECONDS = 20.0


def helper_path(helper: str | None) -> Path:
    return Path(helper) if helper else installed_helper()


def no_answer() -> ReaderError:
    return ReaderError(ReaderError.LIBRARY, "读卡辅助程序（idreader32.exe）没有回应（可能是驱动出错退出了）：请再试一次；"
                                            "如仍不行，请重新插拔读卡器。")


class _Process:
    """A running idreader32.exe; its answers are read by a thread into a queue, so a silent one can be given up on."""

    def __init__(self, exe: Path):
        if not exe.is_file():
            raise ReaderError(ReaderError.LIBRARY, f"找不到读卡辅助程序“{exe}”：32位的读卡器驱动要经它读卡，它随本程序安装"
                                                   "（在安装文件夹里）。请重新安装本程序。")
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            self.process = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, creationflags=flags)
        except OSError as exc:
            raise ReaderError(ReaderError.LIBRARY, f"无法启动读卡辅助程序“{exe}”（{exc}）：请重新安装本程序。") from None
        self.lock = threading.Lock()
        self.answers: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout, self.answers), daemon=True).start()

    @staticmethod
    def _read(stdout: Any, answers: queue.Queue[bytes]) -> None:
        for line in stdout:
            answers.put(line)
        answers.put(b"")  # the pipe closed: the helper is gone

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        with self.lock:
            try:
                self.process.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
                self.process.stdin.flush()
                line = self.answers.get(timeout=REPLY_SECONDS)
            except (OSError, ValueError, queue.Empty):  # a closed pipe, or no answer in time
                line = b""
            if not line:
                self.stop()
                raise no_answer()
            try:
                return json.loads(line)
            except ValueError:
                self.stop()
                raise no_answer() from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


_processes: dict[Path, _Process] = {}


def _process(helper: str | None) -> _Process:
    """The live helper process, started (again) when there is none."""
    exe = helper_path(helper)
    running = _processes.get(exe)
    if running is None or not running.alive:
        running = _processes[exe] = _Process(exe)
    return running


def stop_helpers() -> None:
    for running in _processes.values():
        running.stop()
    _processes.clear()


atexit.register(stop_helpers)


def _argument(value: Any) -> tuple[list[Any], Any]:
    """The protocol's form of one ctypes-style argument, and what to write the answer back into (or None)."""
    if value is None:
        return ["n"], None
    if isinstance(value, int):  # bool too
        return ["i", int(value)], None
    if isinstance(value, bytes):  # a c_char_p: the bytes and their terminating NUL
        return ["b", len(value) + 1, base64.b64encode(value).decode()], None
    if isinstance(value, ctypes._SimpleCData):  # an int passed by value as a ctypes object
        return ["i", int(value.value)], None
    target = getattr(value, "_obj", value)  # ctypes.byref(x) holds x
    if isinstance(target, (ctypes.c_int, ctypes.c_uint, ctypes.c_long, ctypes.c_ulong)):
        return ["p", int(ctypes.c_int(target.value).value)], target
    if isinstance(target, (ctypes.Array, ctypes.Structure)):
        return ["b", ctypes.sizeof(target), base64.b64encode(ctypes.string_at(ctypes.addressof(target),
                                                                              ctypes.sizeof(target))).decode()], target
    raise TypeError(f"the helper cannot pass {type(value).__name__}")


class ProxyFunction:
    """One export of a library in the helper process, called like the ctypes function (argtypes as ctypes has them)."""

    def __init__(self, library: "ProxyLibrary", name: str):
        self.library, self.__name__ = library, name
        self.argtypes: list[Any] | None = None
        self.restype: Any = ctypes.c_int

    def __call__(self, *values: Any) -> int:
        args, targets = zip(*(_argument(v) for v in values)) if values else ((), ())
        reply = self.library.ask({"op": "call", "lib": self.library.path, "fn": self.__name__, "args": list(args)})
        for arg, target, out in zip(args, targets, reply.get("out") or ()):
            if target is None:
                continue
            if arg[0] == "p":
                target.value = int(out)
            else:
                data = base64.b64decode(out)[:ctypes.sizeof(target)]
                ctypes.memmove(ctypes.addressof(target), data, len(data))
        return int(reply["ret"])


class ProxyLibrary:
    """A vendor library loaded in idreader32.exe, used as a ctypes library is: a missing export is an
    AttributeError, a library that does not load a ReaderError in Chinese. Bound to one helper process: if that dies,
    this library's calls fail (its port state went with it) and the next `library()` starts a new one."""

    def __init__(self, path: str, helper: str | None = None):
        self.path = path
        self._process = _process(helper)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        if not self._process.alive:
            raise no_answer()
        reply = self._process.ask(request)
        if reply.get("ok"):
            return reply
        error, message = reply.get("error"), reply.get("message") or ""
        if error == "symbol":
            raise AttributeError(request.get("fn"))
        if error == "load":
            raise ReaderError(ReaderError.LIBRARY, f"读卡辅助程序无法载入读卡器驱动“{self.path}”（{message}）："
                                                   "文件可能损坏、不是32位的 Windows 驱动，或缺少它要用的其他厂家文件"
                                                   "（请把厂家驱动文件夹里的文件放在一起）。")
        raise ReaderError(ReaderError.LIBRARY, f"读卡辅助程序不接受这个请求（{error}：{message}）。")

    def __getattr__(self, name: str) -> ProxyFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        self.ask({"op": "find", "lib": self.path, "fn": name})
        function = ProxyFunction(self, name)
        setattr(self, name, function)  # asked once, like ctypes caches its functions
        return function


def library(path: str, helper: str | None = None) -> ProxyLibrary:
    """The library at `path`, loaded in the helper (idreader32.exe next to the program unless `helper` names one)."""
    return ProxyLibrary(path, helper)
