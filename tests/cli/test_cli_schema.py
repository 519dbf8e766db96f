"""``treatyverify schema NAME`` and ``treatyverify treaty new``: what they print and
write, and the output policy they share with every other command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.schemas import SCHEMAS, schema_text
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.loader import treaty_skeleton

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_schema_prints_the_published_schema() -> None:
    code, out, _ = run("schema", "treaty")
    assert code == 0
    assert out == schema_text("treaty")
    assert json.loads(out)["title"] == SCHEMAS["treaty"].title


def test_an_unknown_schema_is_one_line_and_status_2() -> None:
    code, out, err = run("schema", "treaties")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "no schema 'treaties'" in err and "facility" in err


def test_schema_out_writes_the_file_and_refuses_to_replace_it(tmp_path: Path) -> None:
    target = tmp_path / "notice.schema.json"
    assert run("schema", "notice", "--out", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == schema_text("notice")
    target.write_text("mine", encoding="utf-8")
    code, _, err = run("schema", "notice", "--out", str(target))
    assert code == 2
    assert "--force" in err and str(target) in err
    assert target.read_text(encoding="utf-8") == "mine"
    assert run("schema", "notice", "--out", str(target), "--force")[0] == 0
    assert target.read_text(encoding="utf-8") == schema_text("notice")


def test_treaty_new_prints_the_skeleton() -> None:
    code, out, _ = run("treaty", "new")
    assert code == 0
    assert out == treaty_skeleton()


def test_the_written_skeleton_validates(tmp_path: Path) -> None:
    target = tmp_path / "mytreaty.yaml"
    assert run("treaty", "new", "--out", str(target))[0] == 0
    code, out, err = run("treaty", "validate", str(target))
    assert code == 0, err
    assert "valid specification of my-treaty" in out


def test_the_skeleton_has_every_section_each_with_a_comment() -> None:
    lines = treaty_skeleton().splitlines()
    for section in TreatySpec.model_fields:
        # a section is given, or shown commented out where an example would not validate
        line = next(
            (row for row in lines if row.startswith((f"{section}:", f"# {section}:"))), None
        )
        assert line is not None, f"the skeleton lacks {section}"
        if section not in {"id", "name", "short_name", "notes"}:
            assert "#" in line.lstrip("# "), f"{section} has no comment"


def test_treaty_new_refuses_to_replace_a_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mytreaty.yaml"
    target.write_text("id: mine\n", encoding="utf-8")
    code, _, err = run("treaty", "new", "--out", str(target))
    assert code == 2
    assert err.count("\n") == 1 and "--force" in err
    assert target.read_text(encoding="utf-8") == "id: mine\n"
    assert run("treaty", "new", "--out", str(target), "--force")[0] == 0
    assert target.read_text(encoding="utf-8") == treaty_skeleton()


def test_treaty_new_into_a_missing_folder_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "mytreaty.yaml"
    code, _, err = run("treaty", "new", "--out", str(target))
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not target.parent.exists()


def test_a_bad_treaty_names_file_line_and_field(tmp_path: Path) -> None:
    target = tmp_path / "mytreaty.yaml"
    text = treaty_skeleton().replace("counts: [warhead]", "counts: [warhead, foo]")
    target.write_text(text, encoding="utf-8")
    code, _, err = run("treaty", "validate", str(target))
    assert code == 2
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "counts: [warhead, foo]" in row)
    column = text.splitlines()[line - 1].index("foo") + 1
    assert err.startswith(f"error: mytreaty.yaml:{line}:{column}: limits[0].counts[1]: 'foo' ")
    assert err.count("\n") == 1
