"""Where a rendered tree may go, and how it replaces the old one without ever leaving neither.

`fleet synth` replaces its output directory whole, so it writes only into a directory that is absent,
empty, or a previous render: one holding the marker file this module writes, or (a tree rendered
before the marker existed) nothing but `<chart>/<Kind>.<name>.k8s.yaml` files. Anything else (a file,
the envs directory, a checkout, a directory with other files) is refused before anything is created.

The new tree is built in a staging directory beside the output, named `.<out>.staging-<pid>-<token>`,
and exchanged with the old one in one `renameat2(RENAME_EXCHANGE)` call (Linux 3.15+), so a crash at
any instant leaves the old or the new tree in place. Where the kernel or the filesystem cannot
exchange (other systems, some network filesystems) it takes two renames: for that moment the output
path is absent and the old tree sits at `.<out>.old-<pid>-<token>`, which the next run puts back.
Leftovers of a run that was killed are removed by the next run once their pid is gone. Runs on the
same output take turns through `flock` on `.<out>.lock` in the parent. POSIX only (flock, pids).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TypeVar

from nusantara_fleet.errors import COMMAND_LINE, ConfigError, Problem

T = TypeVar("T")

MARKER = ".fleet-render"
MARKER_TEXT = (
    "Rendered by `fleet synth` from envs/, which replaces this directory whole on every run: edit envs/, not these.\n"
)
# cdk8s's FOLDER_PER_CHART_FILE_PER_RESOURCE layout: a folder per chart (a city or `fleet`, DNS labels)
# holding one `<Kind>.<name>.k8s.yaml` per object.
_CHART = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_MANIFEST = re.compile(r"[A-Z][A-Za-z0-9]*\.[^/]+\.k8s\.yaml")
_STAGING, _RETIRED = "staging", "old"
_TAIL = "fleet replaces its output directory whole: give an empty or new directory, or one it rendered before"

# <linux/fs.h> and <fcntl.h>
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _shown(given: Path, path: Path) -> str:
    return str(given) if given == path else f"{given} ({path})"


def _refuse(message: str) -> ConfigError:
    return ConfigError([Problem(COMMAND_LINE, None, "--out", message)])


def write_marker(root: Path) -> None:
    (root / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def _is_marker(path: Path) -> bool:
    expected = MARKER_TEXT.encode()
    with path.open("rb") as file:
        return file.read(len(expected) + 1) == expected  # a file of any size is read only this far


def _first_foreign(root: Path) -> str | None:
    """The first entry (sorted, relative to `root`) this tool would not have written, if any."""
    for chart in sorted(os.scandir(root), key=lambda entry: entry.name):
        if chart.name == MARKER:
            if not (chart.is_file(follow_symlinks=False) and _is_marker(Path(chart.path))):
                return chart.name
            continue
        if not (chart.is_dir(follow_symlinks=False) and _CHART.fullmatch(chart.name)):
            return chart.name
        for entry in sorted(os.scandir(chart.path), key=lambda entry: entry.name):
            if not (entry.is_file(follow_symlinks=False) and _MANIFEST.fullmatch(entry.name)):
                return f"{chart.name}/{entry.name}"
    return None


def check_output(given: Path, *, envs: Path | None = None) -> None:
    """Refuse an output path whose replacement would destroy anything but an earlier render."""
    out = given.resolve()
    shown = _shown(given, out)
    existing = next(path for path in (out, *out.parents) if path.exists())
    if existing == out and not out.is_dir():
        raise _refuse(f"{shown} is not a directory; {_TAIL}")
    if not existing.is_dir():
        raise _refuse(f"{shown} cannot be made: {existing} is a file; {_TAIL}")
    if (out / ".git").exists():
        raise _refuse(f"{shown} is a repository root (it holds .git); {_TAIL}")
    if envs is not None:
        config = envs.resolve()
        if out == config:
            raise _refuse(f"{shown} is the envs directory; {_TAIL}")
        if out in config.parents:
            raise _refuse(f"{shown} contains the envs directory {config}; {_TAIL}")
        if config in out.parents:
            raise _refuse(f"{shown} is inside the envs directory {config}; {_TAIL}")
    if not out.exists():
        return
    foreign = _first_foreign(out)
    if foreign is not None:
        raise _refuse(f"{shown} holds {foreign}, which fleet did not write; {_TAIL}")


@contextmanager
def _flock(fd: int, *, shared: bool, what: str) -> Iterator[None]:
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another fleet run on {what} to finish", file=sys.stderr)
            fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


@contextmanager
def directory_lock(directory: Path, *, shared: bool = False) -> Iterator[None]:
    """Serialise runs on one directory that is never replaced (envs/): the directory itself is the lock.

    Locking the directory rather than a file in it keeps the config tree free of lock files and works
    on a read-only checkout; releases lock it exclusively, renders shared.
    """
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        yield  # nothing to protect: loading it reports the missing directory
        return
    with _flock(fd, shared=shared, what=f"{directory}/"):
        yield


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _sibling(out: Path, role: str) -> Path:
    return out.parent / f".{out.name}.{role}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove(tree: Path) -> None:
    """Delete a tree we made, even one that took a read-only output's mode."""
    if tree.is_dir():
        os.chmod(tree, stat.S_IRWXU)
        shutil.rmtree(tree)


def _clear_leftovers(out: Path) -> None:
    """Remove what killed runs left beside `out`; put a tree back that a two-rename swap had moved aside."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.({_STAGING}|{_RETIRED})-(\d+)-[0-9a-f]+")
    for entry in sorted(out.parent.iterdir()):
        found = pattern.fullmatch(entry.name)
        if found is None or _alive(int(found[2])):
            continue
        if found[1] == _RETIRED and not out.exists():
            os.rename(entry, out)
        else:
            _remove(entry)


@cache
def _renameat2() -> Callable[..., int] | None:
    """glibc's renameat2 (2.28+) on Linux; None elsewhere."""
    if sys.platform != "linux":
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step; False where the kernel or filesystem cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):  # a kernel before 3.15, or a filesystem without exchange
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap(staging: Path, out: Path) -> None:
    """Put `staging` at `out`; the old tree, if any, ends up at `staging` or is removed."""
    if not out.exists():
        os.rename(staging, out)
        return
    os.chmod(staging, stat.S_IMODE(out.stat().st_mode))
    if _exchange(staging, out):
        return
    retired = _sibling(out, _RETIRED)
    os.rename(out, retired)
    os.rename(staging, out)
    _remove(retired)


def _unwritable(directory: Path, error: OSError) -> ConfigError:
    return _refuse(
        f"cannot write in {directory} ({error.strerror}); fleet renders beside the output directory and swaps it in"
    )


def replace_tree(given: Path, fill: Callable[[Path], T], *, envs: Path | None = None) -> T:
    """Build a new tree with `fill(staging)` and swap it in at `given`; on any failure `given` is untouched."""
    check_output(given, envs=envs)  # before anything is created: a refusal changes nothing on disk
    out = given.resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(_lock_path(out), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise _unwritable(out.parent, error) from None
    with _flock(fd, shared=False, what=f"{given}/"):
        check_output(given, envs=envs)  # again: another run may have changed it while this one waited
        _clear_leftovers(out)
        staging = _sibling(out, _STAGING)
        try:
            staging.mkdir(0o777)  # the umask applies, as it would to a new output directory
        except OSError as error:
            raise _unwritable(out.parent, error) from None
        try:
            result = fill(staging)
            write_marker(staging)
            _swap(staging, out)
        finally:
            _remove(staging)
    return result
