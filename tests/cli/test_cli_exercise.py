"""``treatyverify exercise``: list, validate (errors name the line), run and report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()

SMALL = (Path(__file__).resolve().parents[1] / "exercise" / "small-arms-count.yaml").read_text(
    encoding="utf-8"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _scenario(tmp_path: Path, text: str = SMALL) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list_names_the_shipped_scenarios() -> None:
    code, out, err = run("exercise", "list", "--json")
    assert code == 0, err
    listed = {entry["scenario"]: entry for entry in json.loads(out)}
    assert listed["new-start-reductions"]["regime"] == "arms-count"
    assert listed["new-start-reductions"]["treaty"] == "new-start"


def test_validate_reports_a_bad_line_in_one_line_with_status_2(tmp_path: Path) -> None:
    path = _scenario(tmp_path, SMALL.replace("  quota: 2\n", "  quota: -2\n"))
    code, out, err = run("exercise", "validate", str(path))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    number = next(n for n, line in enumerate(SMALL.splitlines(), 1) if line.startswith("  quota"))
    assert f"small.yaml:{number}:3: inspector.quota: " in lines[0]
    assert "Traceback" not in err + out


def test_run_writes_the_report_and_prints_the_estimates(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    out_dir = tmp_path / "report"
    code, out, err = run(
        "exercise", "run", str(path), "--out", str(out_dir), "--runs", "3", "--json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["runs"] == 3 and summary["scenario"] == "small-count"
    point = summary["points"][0]
    assert point["detection"]["trials"] == 3
    assert point["false_alarm"]["successes"] == 0
    for name in ("report.html", "report.pdf", "summary.json", "runs.jsonl"):
        assert (out_dir / name).is_file()
    assert summary["report"] == str(out_dir / "report.html")
    assert len((out_dir / "runs.jsonl").read_text(encoding="utf-8").splitlines()) == 6


def test_run_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    code, _out, err = run("exercise", "run", str(path), "--out", str(foreign), "--runs", "1")
    assert code == 2
    assert str(foreign) in err
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
