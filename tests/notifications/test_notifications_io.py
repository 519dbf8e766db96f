"""Import and export of notices as JSON and CSV: round trips and bad rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyverify.errors import InputError, SpecError
from treatyverify.notifications.exchange_io import (
    check_notices,
    notices_to_csv,
    notices_to_json,
    parse_notices_csv,
    parse_notices_json,
    read_notices,
    write_notices,
)
from treatyverify.notifications.notices import Notice
from treatyverify.treaty import load_treaty

T = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def launch(ref: str, **extra: Any) -> Notice:
    fields: dict[str, Any] = {
        "planned_launch_date": "2026-03-01",
        "launch_area": "Plesetsk",
        "impact_area": {"centre": [160.0, 57.8], "radius_km": 50},
        "count": 2,
        "note": "12",
        "empty": "",
        "nothing": None,
    }
    return Notice(ref=ref, code="launch", event_time=T, fields=fields | extra)


def test_json_and_csv_round_trip(tmp_path: Path) -> None:
    notices = [launch("n-1"), launch("n-2", extra=[1, "a, b", {"q": '"'}]), launch("n-3")]
    for name in ("out.json", "out.csv"):
        path = write_notices(tmp_path / name, notices)
        back = [located.notice for located in read_notices(path)]
        assert back == notices


def test_csv_layout_is_documented_columns() -> None:
    text = notices_to_csv([launch("n-1")]).decode()
    header, row = text.splitlines()
    assert header == (
        "ref,code,event_time,fields.count,fields.empty,fields.impact_area,"
        "fields.launch_area,fields.note,fields.nothing,fields.planned_launch_date"
    )
    assert row.startswith('n-1,launch,2026-03-01T06:00:00.000000Z,2,"""""",')
    assert ",Plesetsk," in row and ',"""12""",null,' in row


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    fields=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), json_values),
    ref=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() == s and "\x00" not in s),
)
def test_csv_round_trip_of_any_fields(fields: dict[str, Any], ref: str) -> None:
    notice = Notice(ref=ref, code="launch", event_time=T, fields=fields)
    back = parse_notices_csv(notices_to_csv([notice]).decode(), name="x.csv")
    assert [b.notice for b in back] == [notice]
    again = parse_notices_json(notices_to_json([notice]).decode(), name="x.json")
    assert [b.notice for b in again] == [notice]


HEADER = "ref,code,event_time,fields.launch_area\n"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            HEADER + "n-1,launch,2026-03-01T06:00:00,Plesetsk\n",
            "x.csv: line 2: notice n-1: event_time",
            "no time zone",
        ),
        (
            HEADER + "n-1,launch,2026-03-01T06:00:00+03:00,Plesetsk\n",
            "x.csv: line 2: notice n-1: event_time",
            "not in UTC",
        ),
        (
            HEADER + "n-1,launch,yesterday,Plesetsk\n",
            "x.csv: line 2: notice n-1: event_time",
            "not an ISO 8601",
        ),
        (HEADER + "n-1,launch,2026-03-01T06:00:00Z\n", "x.csv: line 2", "3 cells"),
        (
            HEADER + "n-1,launch,2026-03-01T06:00:00Z,a\nn-1,launch,2026-03-01T06:00:00Z,b\n",
            "x.csv: line 3: notice n-1: ref",
            "duplicate",
        ),
        (HEADER + ",launch,2026-03-01T06:00:00Z,a\n", "x.csv: line 2: ref", "at least 1"),
        ("ref,code,when\n", "x.csv: line 1", "header must begin"),
        ("ref,code,event_time,launch_area\n", "x.csv: line 1", "unexpected column"),
        ("", "x.csv", "empty"),
    ],
)
def test_bad_csv_rows_name_file_line_and_field(text: str, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_notices_csv(text, name="x.csv")
    assert caught.value.where == where
    assert message in caught.value.message


def test_bad_json_names_the_index_and_field() -> None:
    rows = [{"ref": "n-1", "code": "launch", "event_time": "2026-03-01T06:00:00", "fields": {}}]
    with pytest.raises(InputError) as caught:
        parse_notices_json(json.dumps(rows), name="x.json")
    assert caught.value.where == "x.json: notices[0]: notice n-1: event_time"
    with pytest.raises(InputError) as caught:
        parse_notices_json("[\n{", name="x.json")
    assert caught.value.where == "x.json: line 2"
    with pytest.raises(InputError, match="format"):
        parse_notices_json('{"notices": []}', name="x.json")


def test_check_notices_against_the_treaty_and_geometry() -> None:
    spec = load_treaty("us-ussr-launch-notification-1988")
    good = parse_notices_json(notices_to_json([launch("n-1")]).decode(), name="x.json")
    check_notices(spec, good)
    bowtie = {"boundary": [[0, 0], [1, 1], [1, 0], [0, 1]]}
    bad = parse_notices_json(
        notices_to_json([launch("n-1"), launch("n-2", impact_area=bowtie)]).decode(),
        name="x.json",
    )
    with pytest.raises(InputError) as caught:
        check_notices(spec, bad)
    assert caught.value.where == "x.json: notices[1]: notice n-2: fields.impact_area.boundary"
    missing = Notice(ref="n-3", code="launch", event_time=T, fields={})
    with pytest.raises(InputError) as caught:
        check_notices(spec, parse_notices_json(notices_to_json([missing]).decode(), name="y"))
    assert caught.value.where == "y: notices[0]: notice n-3: fields.planned_launch_date"
    other = Notice(ref="n-4", code="movement", event_time=T, fields={})
    with pytest.raises(SpecError):
        check_notices(spec, parse_notices_json(notices_to_json([other]).decode(), name="z"))


def test_export_to_an_unknown_suffix_or_missing_folder_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.json or \.csv"):
        write_notices(tmp_path / "out.txt", [launch("n-1")])
    with pytest.raises(InputError, match="folder does not exist"):
        write_notices(tmp_path / "nope" / "out.json", [launch("n-1")])
    assert list(tmp_path.iterdir()) == []
