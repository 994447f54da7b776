"""`--out` is replaced whole and only when that destroys nothing but an earlier render; crashes and
concurrent runs leave the old or the new tree, never neither, and no strays."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from nusantara_fleet import outdir
from nusantara_fleet.cli import main
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.outdir import MARKER, replace_tree
from nusantara_fleet.synth import render
from tests.support import ENVS, ROOT, read_tree

TAIL = "fleet replaces its output directory whole: give an empty or new directory, or one it rendered before"
REFUSED = "nothing was written: 1 problem on the command line"
# Generous bounds for a shared two-core machine; each wait ends as soon as its condition holds.
WAIT_SECONDS = 60.0


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under `root` with its mode and, for a regular file, its bytes."""
    return {
        str(path.relative_to(root)): (path.lstat().st_mode, path.read_bytes() if path.is_file() else None)
        for path in sorted(root.rglob("*"))
    }


def strays(parent: Path) -> list[str]:
    """What a run left beside its output: staging and retired trees (the lock file stays on purpose)."""
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name or ".old-" in p.name)


def fleet_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "nusantara_fleet.cli", *args]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # after `pid (comm)`: state, ppid, ...


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A render of the default fleet, to copy wherever a test needs a previous render."""
    out = tmp_path_factory.mktemp("rendered") / "dist"
    render(load_fleet(ENVS), out)
    return out


@pytest.fixture
def repo(tmp_path: Path, rendered: Path) -> Path:
    """A checkout: envs/, a rendered dist/, a README and a folder of notes."""
    root = tmp_path / "repo"
    shutil.copytree(ENVS, root / "envs")
    shutil.copytree(rendered, root / "dist")
    (root / "README.md").write_text("# fleet\n")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("keep me\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


REFUSALS: list[tuple[str, list[str], Callable[[Path], str]]] = [
    ("dot", ["synth", "--out", "."], lambda r: f". ({r}) is a repository root (it holds .git); {TAIL}"),
    ("repo-root", ["synth", "--out", "{repo}"], lambda r: f"{r} is a repository root (it holds .git); {TAIL}"),
    ("envs", ["synth", "--out", "envs"], lambda r: f"envs ({r}/envs) is the envs directory; {TAIL}"),
    (
        "inside-envs",
        ["synth", "--out", "envs/out"],
        lambda r: f"envs/out ({r}/envs/out) is inside the envs directory {r}/envs; {TAIL}",
    ),
    (
        "contains-envs",
        ["synth", "--envs", "envs", "--out", ".."],
        lambda r: f".. ({r.parent}) contains the envs directory {r}/envs; {TAIL}",
    ),
    ("a-file", ["synth", "--out", "README.md"], lambda r: f"README.md ({r}/README.md) is not a directory; {TAIL}"),
    (
        "under-a-file",
        ["synth", "--out", "README.md/dist"],
        lambda r: f"README.md/dist ({r}/README.md/dist) cannot be made: {r}/README.md is a file; {TAIL}",
    ),
    (
        "foreign-dir",
        ["synth", "--out", "notes"],
        lambda r: f"notes ({r}/notes) holds todo.txt, which fleet did not write; {TAIL}",
    ),
    (
        "release-into-envs",
        ["release", "order", "2.5.0", "--city", "bandung", "--out", "envs"],
        lambda r: f"envs ({r}/envs) is the envs directory; {TAIL}",
    ),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_a_refused_out_names_path_and_reason_and_changes_nothing(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: Callable[[Path], str],
) -> None:
    monkeypatch.chdir(repo)
    before = snapshot(repo.parent)
    assert main([arg.format(repo=repo) for arg in args]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: command line: --out: {message(repo)}", REFUSED]
    assert snapshot(repo.parent) == before


def test_a_file_added_to_a_render_is_kept(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "dist" / "bandung" / "NOTES.md").write_text("ours\n")
    before = snapshot(repo.parent)
    assert main(["synth", "--envs", str(repo / "envs"), "--out", str(repo / "dist")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: command line: --out: {repo}/dist holds bandung/NOTES.md, which fleet did not write; {TAIL}",
        REFUSED,
    ]
    assert snapshot(repo.parent) == before


def test_a_forged_marker_does_not_make_a_render(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / MARKER).write_text("mine\n")
    with pytest.raises(ConfigError) as caught:
        outdir.check_output(out)
    assert [str(p) for p in caught.value.problems] == [
        f"command line: --out: {out} holds {MARKER}, which fleet did not write; {TAIL}"
    ]


def test_a_render_without_marker_is_replaced_and_marked(tmp_path: Path, rendered: Path) -> None:
    """The dist/ committed before the marker existed: only manifests at <chart>/<Kind>.<name>.k8s.yaml."""
    out = tmp_path / "dist"
    shutil.copytree(rendered, out)
    (out / MARKER).unlink()
    stale = out / "bandung" / "ConfigMap.retired.k8s.yaml"
    stale.write_text("kind: ConfigMap\n")
    os.chmod(out, 0o750)
    render(load_fleet(ENVS), out, envs=ENVS)
    assert read_tree(out) == read_tree(rendered)  # marker back, stale object gone
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert strays(tmp_path) == []


def test_a_new_output_gets_the_umask_mode(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        replace_tree(tmp_path / "out", lambda staging: None)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o750
    assert (tmp_path / "out" / MARKER).read_text() == outdir.MARKER_TEXT


def test_on_linux_the_swap_is_one_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    replace_tree(out, lambda staging: None)
    renames: list[tuple[str, str]] = []
    monkeypatch.setattr(os, "rename", lambda a, b: renames.append((str(a), str(b))))
    replace_tree(out, lambda staging: (staging / "fleet").mkdir())
    assert renames == []
    assert (out / "fleet").is_dir()


def test_where_exchange_is_unsupported_two_renames_do_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    replace_tree(out, lambda staging: None)
    monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)
    replace_tree(out, lambda staging: (staging / "fleet").mkdir())
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "fleet"]
    assert strays(tmp_path) == []


# A run that dies (os._exit: no finally, no handler) at one step of the swap. `fill` writes one file
# naming the tree, so each test can tell old from new.
CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from nusantara_fleet import outdir

    out, step = Path(sys.argv[1]), sys.argv[2]
    exchange, rename = outdir._exchange, os.rename

    def die_before(a, b):
        os._exit(9)

    def die_after(a, b):
        exchange(a, b)
        os._exit(9)

    def first_rename_then_die(a, b):
        rename(a, b)
        os._exit(9)

    if step == "before-exchange":
        outdir._exchange = die_before
    elif step == "after-exchange":
        outdir._exchange = die_after
    else:
        outdir._exchange = lambda a, b: False
        os.rename = first_rename_then_die

    def fill(staging):
        (staging / "fleet").mkdir()
        (staging / "fleet" / "ConfigMap.tree.k8s.yaml").write_text("new\\n")

    outdir.replace_tree(out, fill)
    """
)


def _tree(out: Path) -> str:
    return (out / "fleet" / "ConfigMap.tree.k8s.yaml").read_text()


def _fill(text: str) -> Callable[[Path], None]:
    def fill(staging: Path) -> None:
        (staging / "fleet").mkdir()
        (staging / "fleet" / "ConfigMap.tree.k8s.yaml").write_text(text)

    return fill


@pytest.mark.parametrize(("step", "left"), [("before-exchange", "old\n"), ("after-exchange", "new\n")])
def test_a_crash_during_the_swap_leaves_the_old_or_the_new_tree(tmp_path: Path, step: str, left: str) -> None:
    out = tmp_path / "out"
    replace_tree(out, _fill("old\n"))
    result = subprocess.run([sys.executable, "-c", CRASH, str(out), step], cwd=ROOT, check=False)
    assert result.returncode == 9
    assert _tree(out) == left
    assert len(strays(tmp_path)) == 1  # the other tree, in a staging directory named after the dead pid
    replace_tree(out, _fill("newer\n"))
    assert _tree(out) == "newer\n"
    assert strays(tmp_path) == []


def test_a_crash_between_two_renames_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    replace_tree(out, _fill("old\n"))
    result = subprocess.run([sys.executable, "-c", CRASH, str(out), "between-renames"], cwd=ROOT, check=False)
    assert result.returncode == 9
    assert not out.exists()  # the moment two renames cannot avoid
    assert [name.split("-")[0] for name in strays(tmp_path)] == [".out.old", ".out.staging"]

    def broken(staging: Path) -> None:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        replace_tree(out, broken)
    assert _tree(out) == "old\n"  # put back before this run's own (failed) render
    assert strays(tmp_path) == []


def test_leftovers_go_only_once_their_run_has_ended(tmp_path: Path) -> None:
    out = tmp_path / "out"
    owner = subprocess.Popen(["sleep", "60"])
    try:
        leftover = tmp_path / f".out.staging-{owner.pid}-0123abcd"
        leftover.mkdir()
        replace_tree(out, _fill("first\n"))
        assert leftover.is_dir()  # its run may still be going
    finally:
        owner.kill()
        owner.wait()
    replace_tree(out, _fill("second\n"))
    assert strays(tmp_path) == []


def test_a_failed_render_leaves_the_old_tree_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    replace_tree(out, _fill("old\n"))

    def half_written(staging: Path) -> None:
        _fill("partial\n")(staging)
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        replace_tree(out, half_written)
    assert _tree(out) == "old\n"
    assert strays(tmp_path) == []


def held_worker(fleet: Fleet, out: Path, only: list[str]) -> dict[str, Counter[str]]:
    """Stands in for a render worker's share: says it started, waits for the test's go, then writes.

    Only a worker still alive when the test says go writes anything, so the file tells an orphan apart.
    """
    signals = Path(os.environ[SIGNALS])
    (signals / f"started-{os.getpid()}").touch()
    while not (signals / "go").exists():
        time.sleep(0.01)
    (out / f"written-by-{os.getpid()}").touch()
    return {}


SIGNALS = "FLEET_TEST_SIGNALS"
# `fleet synth --jobs 2` with held workers: the real pool, staging and signal handling around them.
HELD_SYNTH = textwrap.dedent(
    """
    import sys
    from nusantara_fleet import cli, synth
    from tests.synth.test_output_safety import held_worker

    synth._render_charts = held_worker
    sys.exit(cli.main(sys.argv[1:]))
    """
)


@dataclass
class HeldRender:
    process: subprocess.Popen[bytes]
    signals: Path
    family: list[int]  # the workers and their children (jsii's Node)


@pytest.fixture
def held_render(tmp_path: Path) -> Iterator[HeldRender]:
    """A render into tmp_path/dist, returned once both workers run their share."""
    signals = tmp_path / "signals"
    signals.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HELD_SYNTH,
            "synth",
            "--envs",
            str(ENVS),
            "--out",
            str(tmp_path / "dist"),
            "--jobs",
            "2",
        ],
        cwd=ROOT,
        env={**os.environ, SIGNALS: str(signals)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(list(signals.glob("started-*"))) == 2, "both workers to start their share")
        workers = [int(path.name.removeprefix("started-")) for path in signals.glob("started-*")]
        yield HeldRender(process, signals, [*workers, *(pid for worker in workers for pid in children(worker))])
    finally:
        (signals / "go").touch()  # whatever a failed test left running can finish
        process.kill()
        process.wait()


def test_kill_9_of_the_main_process_stops_its_workers_and_the_next_run_clears_staging(
    tmp_path: Path, held_render: HeldRender
) -> None:
    out = tmp_path / "dist"
    held_render.process.kill()
    held_render.process.wait()
    (held_render.signals / "go").touch()
    wait_for(lambda: not any(running(pid) for pid in held_render.family), "the workers to end")
    [left] = strays(tmp_path)
    assert left.startswith(f".dist.staging-{held_render.process.pid}-")
    assert list((tmp_path / left).iterdir()) == []  # no worker outlived the main process to write
    assert not out.exists()
    render(load_fleet(ENVS), out)
    assert strays(tmp_path) == []
    assert (out / MARKER).is_file()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["term", "int"])
def test_a_terminated_render_stops_its_workers_and_removes_its_staging(
    tmp_path: Path, held_render: HeldRender, signum: int, code: int
) -> None:
    held_render.process.send_signal(signum)
    # Without go the workers never finish: the run ends only by stopping them.
    assert held_render.process.wait(timeout=WAIT_SECONDS) == code
    wait_for(lambda: not any(running(pid) for pid in held_render.family), "the workers' Node processes to end")
    assert strays(tmp_path) == []
    assert not (tmp_path / "dist").exists()


@contextmanager
def held(path: Path, flags: int) -> Iterator[None]:
    fd = os.open(path, flags, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def test_a_second_run_on_the_same_output_waits_for_the_first(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    log = tmp_path / "stderr"
    with held(tmp_path / ".dist.lock", os.O_RDWR | os.O_CREAT), log.open("wb") as err:
        process = subprocess.Popen(
            fleet_command("synth", "--envs", str(ENVS), "--out", str(out)),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        wait_for(lambda: b"waiting for another fleet run on" in log.read_bytes(), "the second run to wait")
        assert not out.exists()
    assert process.wait() == 0
    assert f"waiting for another fleet run on {out}/ to finish" in log.read_text()
    assert (out / MARKER).is_file()


def test_two_runs_at_once_both_succeed_one_after_the_other(tmp_path: Path, rendered: Path) -> None:
    out = tmp_path / "dist"
    command = fleet_command("synth", "--envs", str(ENVS), "--out", str(out))
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in "ab"]
    assert [run.wait() for run in runs] == [0, 0]
    assert read_tree(out) == read_tree(rendered)
    assert strays(tmp_path) == []


def test_a_release_planned_on_a_file_that_changed_meanwhile_fails(envs: Path) -> None:
    """Releases on one envs/ take turns; the later one re-reads the city file and refuses a lost update."""
    city = envs / "bandung.yaml"
    log = envs.parent / "stderr"
    command = fleet_command(
        "release", "order", "2.5.0", "--city", "bandung", "--canary", "10", "--envs", "envs", "--out", "dist"
    )
    with held(envs, os.O_RDONLY | os.O_DIRECTORY), log.open("wb") as err:
        process = subprocess.Popen(command, cwd=envs.parent, stdout=subprocess.DEVNULL, stderr=err)
        wait_for(lambda: b"waiting for another fleet run on" in log.read_bytes(), "the release to wait")
        edited = city.read_text() + "# edited by the release that got there first\n"
        city.write_text(edited)
    assert process.wait() == 2
    assert log.read_text().splitlines()[-3:] == [
        "waiting for another fleet run on envs/ to finish",
        "error: envs/bandung.yaml: changed while this command ran (another edit landed first); run it again",
        "nothing was written: 1 problem in envs/bandung.yaml",
    ]
    assert city.read_text() == edited
    assert not (envs.parent / "dist").exists()


@pytest.mark.parametrize("locked_before", [False, True], ids=["no-lock-file", "lock-file-from-an-earlier-run"])
def test_a_read_only_parent_is_a_clear_error_and_nothing_changes(
    tmp_path: Path, rendered: Path, locked_before: bool
) -> None:
    parent = tmp_path / "ro"
    shutil.copytree(rendered, parent / "dist")
    if locked_before:
        (parent / ".dist.lock").touch()
    parent.chmod(0o555)
    before = snapshot(tmp_path)
    # root ignores file modes; without capabilities it is bound by them like anyone else
    drop = ["setpriv", "--bounding-set=-all", "--"] if os.geteuid() == 0 else []
    try:
        result = subprocess.run(
            [*drop, *fleet_command("synth", "--envs", str(ENVS), "--out", str(parent / "dist"))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        after = snapshot(tmp_path)
    finally:
        parent.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        f"error: command line: --out: cannot write in {parent} (Permission denied); "
        "fleet renders beside the output directory and swaps it in",
        REFUSED,
    ]
    assert after == before
