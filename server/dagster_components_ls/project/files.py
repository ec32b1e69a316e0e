"""Reading the user's files from disk: regular files only, so a FIFO or a device never blocks us."""

import errno
import os
import stat
from pathlib import Path
from typing import Optional


class NotRegularFile(OSError):
    """The path exists but is not a regular file (a folder, a FIFO, a socket, a device)."""


def read_bytes(path: Path) -> bytes:
    """The file's content; OSError when it cannot be read, NotRegularFile when it is no regular file.

    Opened with O_NONBLOCK, then checked on the open descriptor: opening a FIFO for reading would
    otherwise wait for a writer (forever), and a check before opening could be raced by a rename.
    O_NONBLOCK changes nothing for reading a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({_kind(mode)})", str(path))
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, errors: str = "replace") -> str:
    """The file as UTF-8 text (invalid bytes replaced unless `errors="strict"`); the errors of read_bytes."""
    return read_bytes(path).decode("utf-8", errors=errors)


def text_or_none(path: Path) -> Optional[str]:
    """The file as text, None when it cannot be read (features that read a source file on the side)."""
    try:
        return read_text(path)
    except OSError:
        return None


def decode_utf8(data: bytes) -> tuple[str, Optional[int]]:
    """The text with invalid bytes replaced (U+FFFD), and the offset in code points of the first of them
    (None when the bytes are valid UTF-8)."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", errors="replace"), len(data[: exc.start].decode("utf-8", errors="replace"))


def why_unreadable(path: Path, exc: OSError) -> str:
    """What a user needs to hear about a path that could not be read: 'a dangling symbolic link to X'."""
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        return f"a dangling symbolic link to {os.readlink(path)}"
    if isinstance(exc, NotRegularFile):
        return exc.strerror or str(exc)
    return exc.strerror or str(exc)


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")
