"""One output policy for every command that writes (issue 17, part 3).

A file output is checked before any work: an existing file is replaced only with
``--force``; the ledger, an owner-only file (a key, a secret), a folder and a FIFO
never. Each refusal is one line naming the path, exit status 2, and leaves the path as
it was. Folder outputs (a report, the demo) replace only an earlier output of their
kind. A run stopped by SIGTERM removes its staging; one killed outright leaves staging
that the next run removes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.demo import run_demo
from treatyverify.errors import InputError
from treatyverify.methods.gamma.io import write_n42
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.report.exercise_report import MARKER

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SEISMIC = DATA / "seismic" / "regional-event-a"
SMALL = Path(__file__).resolve().parents[1] / "exercise" / "small-arms-count.yaml"
runner = CliRunner()
needs_seismic = pytest.mark.skipif(
    not SEISMIC.is_dir(), reason=f"shared seismic data not present at {SEISMIC}"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def refused(args: list[str], path: Path) -> str:
    """Run ``args``; it must exit 2 with one line naming ``path``."""
    code, out, err = run(*args)
    assert code == 2, (args, out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err, err
    assert "Traceback" not in out + err
    return err


def staging_beside(path: Path) -> list[str]:
    """Hidden temporary files and staging folders named after ``path``."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A spectrum, an event, and a ledger that the environment names."""
    folder = tmp_path / "in"
    folder.mkdir()
    channels = np.arange(1024, dtype=np.float64)
    counts = 50.0 + 2000.0 * np.exp(-0.5 * ((channels - 331.0) / 3.0) ** 2)
    spectrum = Spectrum(
        counts=np.random.default_rng(3).poisson(counts).astype(np.float64),
        live_time_s=600.0,
        real_time_s=610.0,
        channel_edges_kev=np.linspace(0.0, 2048.0, 1025),
    )
    write_n42(spectrum, folder / "spectrum.n42")
    event = folder / "event.json"
    event.write_text('{"mb": 4.5, "mb_stderr": 0.1, "ms": 3.0, "ms_stderr": 0.2}')
    ledger = folder / "ledger.sqlite"
    ledger.write_bytes(b"SQLite format 3\x00 stands for the ledger")
    monkeypatch.setenv("TREATYVERIFY_LEDGER", str(ledger))
    return {"spectrum": folder / "spectrum.n42", "event": event, "ledger": ledger}


Command = Callable[[dict[str, Path], Path], list[str]]
FILE_OUTPUTS: dict[str, tuple[str, Command]] = {
    "gamma show --png": (
        "plot.png",
        lambda i, t: ["gamma", "show", str(i["spectrum"]), "--png", str(t)],
    ),
    "monitor screen --png": (
        "screening.png",
        lambda i, t: ["monitor", "screen", str(i["event"]), "--png", str(t)],
    ),
    "accountancy scenario --out": (
        "facility.json",
        lambda _i, t: ["accountancy", "scenario", "reprocessing", "--out", str(t)],
    ),
}
"""Each file output: a target name, and the command line writing it."""
FAILS_LATER: dict[str, Callable[[dict[str, Path]], None]] = {
    "gamma show --png": lambda i: i["spectrum"].write_bytes(b"not a spectrum"),
    "monitor screen --png": lambda i: i["event"].write_text('{"mb": 4.5}'),
    "accountancy scenario --out": lambda _i: None,  # --month 13 below
}
"""Bad input that each command finds only after it has checked its output path."""


@pytest.mark.parametrize("output", sorted(FILE_OUTPUTS))
def test_an_existing_file_is_replaced_only_with_force(
    output: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    name, command = FILE_OUTPUTS[output]
    target = tmp_path / name
    target.write_bytes(b"an earlier result")
    err = refused(command(inputs, target), target)
    assert "--force" in err
    assert target.read_bytes() == b"an earlier result"
    code, _out, err = run(*command(inputs, target), "--force")
    assert code == 0, err
    assert target.read_bytes() != b"an earlier result" and target.stat().st_size > 100
    assert staging_beside(target) == []


@pytest.mark.parametrize("output", sorted(FILE_OUTPUTS))
@pytest.mark.parametrize("kind", ["ledger", "owner-only", "folder", "fifo", "dangling-link"])
def test_what_the_policy_protects_is_refused_even_with_force(
    output: str, kind: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    name, command = FILE_OUTPUTS[output]
    target = tmp_path / name
    if kind == "ledger":  # the ledger, under the name the command expects
        target.symlink_to(inputs["ledger"])
    elif kind == "owner-only":
        target.write_bytes(b"a private key")
        target.chmod(0o600)
    elif kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(tmp_path / "nowhere")
    before = {p.name: p.lstat() for p in tmp_path.iterdir()}
    ledger = inputs["ledger"].read_bytes()
    refused([*command(inputs, target), "--force"], target)
    assert inputs["ledger"].read_bytes() == ledger
    after = {p.name: p.lstat() for p in tmp_path.iterdir()}
    assert after.keys() == before.keys()
    assert all(after[n].st_mtime_ns == before[n].st_mtime_ns for n in after)
    if kind == "owner-only":
        assert target.read_bytes() == b"a private key"


@pytest.mark.parametrize("output", sorted(FILE_OUTPUTS))
def test_the_path_is_checked_before_the_input_is_read(
    output: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    name, command = FILE_OUTPUTS[output]
    target = tmp_path / name
    target.write_bytes(b"kept")
    FAILS_LATER[output](inputs)
    args = command(inputs, target) + (["--month", "13"] if "accountancy" in output else [])
    err = refused(args, target)
    assert "--force" in err  # the output's error, not the input's


@pytest.mark.parametrize("output", sorted(FILE_OUTPUTS))
def test_a_failure_after_the_check_writes_nothing(
    output: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    name, command = FILE_OUTPUTS[output]
    target = tmp_path / name
    FAILS_LATER[output](inputs)
    args = command(inputs, target) + (["--month", "13"] if "accountancy" in output else [])
    code, _out, err = run(*args)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("output", ["gamma show --png", "monitor screen --png"])
def test_a_plot_must_be_named_png(output: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    _name, command = FILE_OUTPUTS[output]
    target = tmp_path / "plot.jpg"
    err = refused(command(inputs, target), target)
    assert ".png" in err
    assert not target.exists()


# monitor process --png DIR ---------------------------------------------------------------


def _process(folder: Path, plots: Path, *extra: str) -> list[str]:
    return [
        "monitor", "process", str(folder), "--stations", str(folder / "stations.csv"),
        "--png", str(plots), "--json", *extra,
    ]  # fmt: skip


def test_process_checks_both_plots_before_reading_a_waveform(tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "map.png").write_bytes(b"an earlier map")
    absent = tmp_path / "absent"  # never read: the plot path fails first
    err = refused(_process(absent, plots), plots / "map.png")
    assert "--force" in err
    (plots / "map.png").chmod(0o600)
    refused(_process(absent, plots, "--force"), plots / "map.png")
    (plots / "map.png").unlink()
    os.mkfifo(plots / "record-section.png")
    refused(_process(absent, plots, "--force"), plots / "record-section.png")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    refused(_process(absent, a_file), a_file)
    refused(_process(absent, a_file / "plots"), a_file / "plots")
    assert sorted(p.name for p in plots.iterdir()) == ["record-section.png"]
    assert a_file.read_text() == "not a folder"


@needs_seismic
def test_process_replaces_both_plots_with_force(tmp_path: Path) -> None:
    plots = tmp_path / "new" / "plots"  # made once the event is located
    code, _out, err = run(*_process(SEISMIC, plots))
    assert code == 0, err
    assert sorted(p.name for p in plots.iterdir()) == ["map.png", "record-section.png"]
    (plots / "record-section.png").unlink()
    (plots / "map.png").write_bytes(b"old")
    refused(_process(SEISMIC, plots), plots / "map.png")  # one existing plot is enough
    assert (plots / "map.png").read_bytes() == b"old"
    assert not (plots / "record-section.png").exists()
    code, _out, err = run(*_process(SEISMIC, plots, "--force"))
    assert code == 0, err
    assert (plots / "map.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in plots.iterdir()) == ["map.png", "record-section.png"]


# party keygen --out DIR ------------------------------------------------------------------


def _keygen(out: Path, *extra: str) -> list[str]:
    return ["party", "keygen", "us", "--treaty", "new-start", "--out", str(out), *extra]


def test_keygen_writes_an_owner_only_private_key_and_no_staging(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    code, _out, err = run(*_keygen(keys))
    assert code == 0, err
    assert sorted(p.name for p in keys.iterdir()) == ["us.key", "us.pub"]
    assert (keys / "us.key").stat().st_mode & 0o777 == 0o600
    assert (keys / "us.pub").stat().st_mode & 0o077 != 0  # readable by the others


def test_keygen_never_replaces_a_private_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run(*_keygen(keys))[0] == 0
    private, public = (keys / "us.key").read_bytes(), (keys / "us.pub").read_bytes()
    for extra in ((), ("--force",)):
        refused(_keygen(keys, *extra), keys / "us.key")
    assert (keys / "us.key").read_bytes() == private
    assert (keys / "us.pub").read_bytes() == public
    assert sorted(p.name for p in keys.iterdir()) == ["us.key", "us.pub"]


def test_keygen_checks_both_files_before_writing_either(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "us.pub").write_text("the public key another party gave us")
    err = refused(_keygen(keys), keys / "us.pub")
    assert "--force" in err
    assert sorted(p.name for p in keys.iterdir()) == ["us.pub"]  # no lone private key
    code, _out, err = run(*_keygen(keys, "--force"))
    assert code == 0, err
    assert "the public key" not in (keys / "us.pub").read_text()
    assert sorted(p.name for p in keys.iterdir()) == ["us.key", "us.pub"]


def test_keygen_refuses_a_file_for_its_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "keys"
    a_file.write_text("not a folder")
    refused(_keygen(a_file), a_file)
    refused(_keygen(a_file / "deeper"), a_file / "deeper")
    assert a_file.read_text() == "not a folder"


# exercise run --out DIR and demo --out DIR -----------------------------------------------


def _exercise(out: Path, scenario: Path = SMALL) -> list[str]:
    return ["exercise", "run", str(scenario), "--out", str(out), "--runs", "1", "-j", "1"]


def test_a_bad_report_folder_fails_before_the_exercise_runs(tmp_path: Path) -> None:
    absent = tmp_path / "no-such-scenario.yaml"  # never read: the folder fails first
    a_file = tmp_path / "report"
    a_file.write_text("not a folder")
    refused(_exercise(a_file, absent), a_file)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    refused(_exercise(mine, absent), mine)
    assert (mine / "thesis.tex").read_text() == "keep me"


def test_an_earlier_report_with_other_files_in_it_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, _out, err = run(*_exercise(out))
    assert code == 0, err
    (out / "notes.txt").write_text("my notes on the report")
    err = refused(_exercise(out), out)
    assert "notes.txt" in err
    assert (out / "notes.txt").read_text() == "my notes on the report"
    (out / "notes.txt").unlink()
    code, _out, err = run(*_exercise(out))  # an earlier report alone is replaced
    assert code == 0, err
    assert staging_beside(out) == []


def test_a_report_folder_holding_the_ledger_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / MARKER).write_text("{}")
    (out / "report.html").write_text("an earlier report")
    ledger = out / "report.pdf"  # named like a report file, yet the ledger in use
    ledger.write_bytes(b"SQLite format 3\x00")
    monkeypatch.setenv("TREATYVERIFY_LEDGER", str(ledger))
    err = refused(_exercise(out, tmp_path / "absent.yaml"), out)
    assert "ledger" in err
    assert ledger.read_bytes() == b"SQLite format 3\x00"


def test_a_demo_folder_is_replaced_only_when_it_is_an_earlier_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = run_demo(out)
    assert (out / "demo-summary.json").is_file()
    assert first.ledger == out / "ledger.sqlite"
    assert first.summary["ledger"] == str(out / "ledger.sqlite")
    assert (out / "keys" / "us.key").stat().st_mode & 0o777 == 0o600
    run_demo(out)  # an earlier demo is replaced
    assert staging_beside(out) == []
    (out / "keys" / "extra.txt").write_text("mine")
    with pytest.raises(InputError) as caught:
        run_demo(out)
    assert caught.value.where == str(out) and "keys/extra.txt" in caught.value.message
    assert (out / "keys" / "extra.txt").read_text() == "mine"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    refused(["demo", "--out", str(a_file)], a_file)
    assert a_file.read_text() == "x"


def test_a_failed_demo_leaves_the_earlier_one_and_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import treatyverify.demo as module

    out = tmp_path / "demo"
    run_demo(out)
    summary = (out / "demo-summary.json").read_bytes()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, "sign_tree_head", broken)
    with pytest.raises(InputError) as caught:
        run_demo(out)
    assert caught.value.where == str(out)
    assert (out / "demo-summary.json").read_bytes() == summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


# Interrupted runs --------------------------------------------------------------------------

STALLED = """
import sys, time
import treatyverify.report.exercise_report as report

def stall(*_args):
    print("staged", flush=True)
    time.sleep(300)

report._pdf_bytes = stall
from treatyverify.cli.app import main
sys.argv = ["treatyverify", *sys.argv[1:]]
main()
"""
"""The command line, stalled while its report is being staged."""


def _start_stalled(out: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", STALLED, *_exercise(out), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        cwd=out.parent,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 240
    line = ""
    while time.monotonic() < deadline and "staged" not in line:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
    if "staged" not in line:
        process.kill()
        pytest.fail(f"the run never reached its report: {process.communicate()}")
    return process


def test_sigterm_removes_the_staging_and_exits_143(tmp_path: Path) -> None:
    out = tmp_path / "report"
    process = _start_stalled(out)
    assert len(staging_beside(out)) == 1
    process.send_signal(signal.SIGTERM)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert stderr.strip().splitlines()[-1] == f"error: stopped by signal {signal.SIGTERM}"
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "report"
    process = _start_stalled(out)
    process.kill()
    process.communicate(timeout=60)
    left = staging_beside(out)
    assert len(left) == 1 and left[0].endswith(".partial")
    someone_elses = tmp_path / ".report.not-ours.partial"
    someone_elses.mkdir()
    code, _out, err = run(*_exercise(out))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [someone_elses.name, "report"]
