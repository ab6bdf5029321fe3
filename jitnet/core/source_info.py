"""Where in the user's code something happened: the first stack frame outside jitnet."""
from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# where frames are not the user's: jitnet, and libraries that asked (exclude_path)
_INTERNAL = (_PACKAGE_DIR, "<frozen")


def exclude_path(path: str) -> None:
    """Treat frames from files under ``path`` as library frames, not the user's line (what
    JAX's ``traceback_util.register_exclusion`` does for Equinox and friends)."""
    global _INTERNAL
    if path not in _INTERNAL:
        _INTERNAL = _INTERNAL + (path,)


class SourceInfo:
    """A user source location (file, line, function); not part of any IR hash."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename: str, lineno: int, function: str):
        self.filename, self.lineno, self.function = filename, lineno, function

    def __str__(self):
        return f"{self.filename}:{self.lineno} ({self.function})"

    __repr__ = __str__


def _is_internal(filename: str) -> bool:
    return filename.startswith(_INTERNAL)


def user_frame(skip: int = 1):
    """The innermost frame that is not inside the jitnet package (or None)."""
    f = sys._getframe(skip)
    while f is not None and _is_internal(f.f_code.co_filename):
        f = f.f_back
    return f


def warn(message: str, category=UserWarning) -> None:
    """``warnings.warn`` attributed to the user's line (the first frame outside jitnet)."""
    import warnings
    f, level = sys._getframe(1), 2
    while f is not None and _is_internal(f.f_code.co_filename):
        f, level = f.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def api_name() -> str:
    """The jitnet function the user called, for messages about its arguments: the outermost
    public name among the jitnet frames above the caller (``_astype`` gives ``astype``)."""
    f = sys._getframe(2)
    name = f.f_code.co_name.lstrip("_")
    while f is not None and _is_internal(f.f_code.co_filename):
        if not f.f_code.co_name.startswith(("_", "<")):
            name = f.f_code.co_name
        f = f.f_back
    return name


def current_source_info() -> SourceInfo | None:
    f = user_frame(2)
    if f is None:
        return None
    return SourceInfo(f.f_code.co_filename, f.f_lineno, f.f_code.co_name)


def user_line() -> str:
    """`` (at file:line in func)`` for error messages, or '' when no user frame exists."""
    info = current_source_info()
    return f" (at {info})" if info is not None else ""
