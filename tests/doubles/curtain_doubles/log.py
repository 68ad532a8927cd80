"""klog-style lines on stderr, so a double's output reads like the real binary's.

    I1125 08:52:01.123456    4242 apiserver.py] "Serving securely" address="127.0.0.1:6443"
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
from typing import Any

_lock = threading.Lock()
_verbosity = 0


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def _value(value: Any) -> str:
    text = str(value)
    return text if text.lstrip("-").isdigit() else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _emit(severity: str, source: str, message: str, fields: dict[str, Any]) -> None:
    now = datetime.datetime.now()
    pairs = "".join(f" {key}={_value(value)}" for key, value in fields.items())
    line = f"{severity}{now:%m%d %H:%M:%S.%f} {os.getpid():7d} {source}] {_value(message)}{pairs}\n"
    with _lock:  # one line per write, whatever thread logs
        sys.stderr.write(line)
        sys.stderr.flush()


def _source() -> str:
    frame = sys._getframe(2)  # 0 is _source, 1 is info() or its kin, 2 their caller
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def info(message: str, **fields: Any) -> None:
    _emit("I", _source(), message, fields)


def warning(message: str, **fields: Any) -> None:
    _emit("W", _source(), message, fields)


def error(message: str, **fields: Any) -> None:
    _emit("E", _source(), message, fields)


def verbose(level: int, message: str, **fields: Any) -> None:
    """Logged only with --v=level or higher, like klog.V(level).InfoS."""
    if _verbosity >= level:
        _emit("I", _source(), message, fields)
