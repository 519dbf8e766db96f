"""Every command of the CLI fed malformed values, one parameter at a time (issue 17).

The commands are taken from the CLI's own command tree, so a new command is covered
without anyone listing it. For each parameter the malformed values follow its annotated
type: files that do not exist, folders, undecodable bytes, deeply nested JSON, a YAML
alias bomb, NaN and overflowing numbers, empty files; numbers that are NaN, infinite,
huge or negative; empty, NUL-bearing and very long strings. Every other required
parameter gets a plausible value (a real treaty, key, ledger).

A parameter that names an output (``--out``, ``--png``) is also given what the output
policy protects: an existing file (no ``--force``), the ledger, an owner-only file (a
key) and a FIFO; each must be left exactly as it was.

An outcome is one of: accepted (exit 0), refused (exit 2 with one line on standard
error), a usage error of the parser (exit 2), a multi-line refusal, a traceback (an
exception that is not a clean exit), a hang (no answer in ``--timeout`` seconds), or
overwrote (a protected output was changed).

Usage: python benchmarks/cli_bad_input.py [--out results/cli_bad_input.json] [--timeout 20]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import inspect
import json
import os
import signal
import stat
import tempfile
import time
import types
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from treatyverify.cli.app import app

DEEP = 100_000
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
FILE_CASES: dict[str, bytes | None] = {
    "missing": None,
    "folder": b"",
    "undecodable": b"\xff\xfe\x00\x9c bad \x80",
    "deep-json": b"[" * DEEP + b"]" * DEEP,
    "yaml-alias-bomb": ALIAS_BOMB.encode(),
    "nan-json": b'{"a": NaN, "b": Infinity}',
    "huge-number-json": b'{"a": 1e999, "b": 123456789012345678901234567890}',
    "empty": b"",
    "deep-yaml": b"a: " + b"[" * 5000 + b"]" * 5000,
}
QUICK = {"runs": "1", "workers": "1", "monte_carlo": "10"}
"""Optional parameters always given when not under test, so that no case runs a whole
exercise or a long Monte Carlo."""
OUTPUTS = ("out", "png")
"""Parameters that name a file or folder the command writes."""
NUMBER_CASES = ["nan", "inf", "-inf", "1e309", "9223372036854775808", "-1", "0"]
STRING_CASES = ["", "\x00nul", "a" * 5000, "../../../etc/passwd"]


@dataclass
class Outcome:
    command: str
    parameter: str
    case: str
    kind: str
    detail: str = ""


class _TimeoutError(Exception):
    """An invocation ran past its time."""


def commands() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    yield from walk(typer.main.get_command(app), [])


def annotations(command: Any) -> dict[str, Any]:
    function = inspect.unwrap(command.callback)
    return typing.get_type_hints(function)


def base_type(annotation: Any) -> Any:
    """``Path`` for ``Path | None`` and ``list[Path]``; the type otherwise."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return base_type(args[0])
    return annotation


class Workspace:
    """Keys, a ledger and plausible input files for the parameters not under test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys = root / "keys"
        self.ledger = root / "ledger.sqlite"
        runner = CliRunner()
        for party in ("us", "ru"):
            runner.invoke(
                app, ["party", "keygen", party, "--treaty", "new-start", "--out", str(self.keys)]
            )
        runner.invoke(
            app,
            [
                "record", "init", "--treaty", "new-start", "--keys", str(self.keys),
                "--key", str(self.keys / "us.key"), "--ledger", str(self.ledger),
            ],
        )  # fmt: skip
        self.scratch = root / "scratch"
        self.scratch.mkdir()
        self.json = root / "plain.json"
        self.json.write_text("{}")
        self.count = 0

    def fresh(self, name: str) -> Path:
        self.count += 1
        return self.root / f"{self.count:05d}-{name}"

    def plausible(self, name: str, annotation: Any) -> str:
        table = {
            **QUICK,
            "treaty": "new-start",
            "treaty_id": "new-start",
            "key": str(self.keys / "us.key"),
            "keys": str(self.keys),
            "ledger": str(self.ledger),
            "party": "us",
            "seq": "0",
            "record_seq": "0",
            "scenario": "fmct-reprocessing-diversion",
            "item_class": "warhead",
            "draw": "d-1",
            "population": "a,b,c",
            "reason": "a reason",
            "counts": "1,2",
            "declaration": "decl-1",
            "period": "2026",
            "plant": "reprocessing",
            "sites": "10",
            "inspections": "2",
            "violations": "1",
            "items": "100",
            "item_mass_kg": "4",
            "start": "2026-01-01T00:00:00Z",
            "path": "/api/ledger",
            "url": "http://127.0.0.1:9",
        }
        if name in table:
            return table[name]
        base = base_type(annotation)
        if name in ("out", "png") or name.endswith("_out"):
            return str(self.fresh(name))
        if base is Path:
            return str(self.json)
        if base is int:
            return "1"
        if base is float:
            return "1.0"
        return "x"

    def protected_outputs(self) -> Iterator[tuple[str, str]]:
        """What an output must never replace: an existing file without ``--force``,
        the ledger, an owner-only file, a FIFO."""
        existing = self.fresh("existing-file")
        existing.write_bytes(b"keep me")
        yield "existing-file", str(existing)
        yield "the-ledger", str(self.ledger)
        secret = self.fresh("owner-only")
        secret.write_bytes(b"a secret")
        secret.chmod(0o600)
        yield "owner-only", str(secret)
        fifo = self.fresh("fifo")
        os.mkfifo(fifo)
        yield "fifo", str(fifo)

    def malformed(self, annotation: Any) -> Iterator[tuple[str, str]]:
        base = base_type(annotation)
        if base is Path:
            for case, content in FILE_CASES.items():
                path = self.fresh(case)
                if case == "folder":
                    path.mkdir()
                elif content is not None:
                    path.write_bytes(content)
                yield case, str(path)
        elif base in (int, float):
            yield from ((f"number {v}", v) for v in NUMBER_CASES)
        elif base is str:
            yield from ((f"string {v[:12]!r}", v) for v in STRING_CASES)
            for case in ("undecodable", "deep-json", "yaml-alias-bomb", "folder", "missing"):
                path = self.fresh(case)
                content = FILE_CASES[case]
                if case == "folder":
                    path.mkdir()
                elif content is not None:
                    path.write_bytes(content)
                yield f"file {case}", str(path)


def arguments(
    space: Workspace, name: str, params: list[Any], target: Any, value: str, hints: dict[str, Any]
) -> list[str]:
    """The command line: ``value`` for ``target``, plausible values for the others."""
    args = name.split()
    for p in params:
        if p is not target and not p.required and p.name not in QUICK:
            continue
        text = value if p is target else space.plausible(p.name, hints.get(p.name))
        if p.param_type_name == "argument":
            args.append(text)
        else:
            args += [p.opts[0], text]
    return args


def invoke(args: list[str], timeout_s: int, cwd: Path) -> tuple[str, str]:
    """Run one command line in ``cwd`` (a scratch folder: a malformed value may name a
    relative path, and nothing may land in the folder the harness was started from)."""
    runner = CliRunner()

    def expire(_signum: int, _frame: Any) -> None:
        raise _TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(timeout_s)
    try:
        with contextlib.chdir(cwd):
            result = runner.invoke(app, args)
    except _TimeoutError:
        return "hang", ""
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if isinstance(result.exception, _TimeoutError):
        return "hang", ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        where = ""
        if result.exc_info is not None:
            frames = [
                f
                for f in inspect.getinnerframes(result.exc_info[2])
                if "treatyverify" in f.filename
            ]
            if frames:
                where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"
        return "traceback", f"{type(result.exception).__name__} at {where}"
    if result.exit_code == 0:
        return "accepted", ""
    error = result.stderr.strip()
    if "Usage:" in error:
        return "usage", ""
    if len(error.splitlines()) > 1:
        return "multi-line", error.splitlines()[0][:120]
    return "refused", ""


def fingerprint(path: Path) -> str:
    """The kind, permissions and content of ``path``, to see that it was not touched."""
    info = path.lstat()
    content = path.read_bytes() if stat.S_ISREG(info.st_mode) else b""
    return f"{stat.filemode(info.st_mode)} {hashlib.sha256(content).hexdigest()}"


def run(timeout_s: int, only: str | None = None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as folder:
        space = Workspace(Path(folder))
        for name, command in commands():
            if name in ("serve", "demo") or (only and not name.startswith(only)):
                continue  # serve never returns; demo is checked by its own tests
            hints = annotations(command)
            params = [p for p in command.params if not getattr(p, "is_flag", False)]
            for target in params:
                for case, value in space.malformed(hints.get(target.name)):
                    args = arguments(space, name, params, target, value, hints)
                    kind, detail = invoke(args, timeout_s, space.scratch)
                    outcomes.append(Outcome(name, target.name or "", case, kind, detail))
                if target.name not in OUTPUTS:
                    continue
                for case, value in space.protected_outputs():
                    before = fingerprint(Path(value))
                    args = arguments(space, name, params, target, value, hints)
                    kind, detail = invoke(args, timeout_s, space.scratch)
                    if fingerprint(Path(value)) != before:
                        kind, detail = "overwrote", value
                    outcomes.append(Outcome(name, target.name or "", case, kind, detail))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=int, default=20)
    parser.add_argument("--only", help="commands starting with this")
    options = parser.parse_args()
    started = time.perf_counter()
    outcomes = run(options.timeout, options.only)
    kinds = Counter(o.kind for o in outcomes)
    commands = {o.command for o in outcomes}
    bad = [o for o in outcomes if o.kind in ("traceback", "hang", "multi-line", "overwrote")]
    places = Counter(o.detail for o in bad if o.kind == "traceback")
    summary = {
        "commands": len(commands),
        "cases": len(outcomes),
        "outcomes": dict(kinds),
        "traceback_places": len(places),
        "commands_with_tracebacks": len({o.command for o in bad if o.kind == "traceback"}),
        "seconds": round(time.perf_counter() - started, 1),
    }
    for o in bad:
        print(f"{o.kind:11s} {o.command:22s} {o.parameter:16s} {o.case:24s} {o.detail}")
    print(json.dumps(summary, indent=1))
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(
            json.dumps({"summary": summary, "bad": [vars(o) for o in bad]}, indent=1)
        )


if __name__ == "__main__":
    main()
