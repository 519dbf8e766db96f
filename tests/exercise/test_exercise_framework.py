"""The exercise framework: scenario loading with line numbers, estimates, parallel runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from treatyverify.errors import InputError
from treatyverify.exercise import Estimate, parse_scenario, run_exercise

SMALL = (Path(__file__).resolve().parent / "small-arms-count.yaml").read_text(encoding="utf-8")


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name="s.yaml")
    return caught.value


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


def _at(text: str, needle: str, field: str) -> str:
    """The ``where`` of an error at ``field``, written on the line that starts so."""
    line = _line(text, needle)
    column = len(needle) - len(needle.lstrip()) + 1
    return f"s.yaml:{line}:{column}: {field}"


# Estimates ----------------------------------------------------------------------------


def test_clopper_pearson_bounds_match_their_closed_forms() -> None:
    # With 0 successes the upper bound solves (1 - p)^n = alpha/2; with n successes the
    # lower bound solves p^n = alpha/2.
    none = Estimate.of(0, 10)
    assert none.low == 0.0
    assert none.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-12)
    every = Estimate.of(10, 10)
    assert every.high == 1.0
    assert every.low == pytest.approx(0.025 ** (1 / 10), rel=1e-12)


def test_clopper_pearson_interval_for_half() -> None:
    # 5 of 10: the exact 95 % interval is 0.1871 to 0.8129 (symmetric about 0.5).
    half = Estimate.of(5, 10)
    assert half.value == 0.5
    assert half.low == pytest.approx(0.18709, abs=5e-5)
    assert half.high == pytest.approx(1 - half.low, rel=1e-12)


def test_estimates_refuse_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes"):
        Estimate.of(3, 2)
    with pytest.raises(ValueError, match="trials"):
        Estimate.of(0, 0)


# Loading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "starts", "field", "says"),
    [
        ("regime: arms-count", "regime: arms-race", "regime", "regime", "unknown regime"),
        ("treaty: new-start", "treaty: old-start", "treaty", "treaty", "old-start"),
        ("host: ru", "host: fr", "host", "host", "not a party"),
        ("inspectors: [us]", "inspectors: [ru]", "inspectors", "inspectors[0]", "itself"),
        (
            "  end: 2020-02-04T00:00:00Z",
            "  end: 2018-02-04T00:00:00Z",
            "timeline",
            "timeline",
            "ends before it starts",
        ),
        (
            "  start: 2019-02-05T00:00:00Z",
            "  start: 2019-02-05T00:00:00",
            "  start",
            "timeline.start",
            "time zone",
        ),
        (
            "  team_size: 10\n",
            "  team_size: 10\n  methods: [pu-mass]\n",
            "  methods",
            "inspector.methods[0]",
            "no method 'pu-mass'",
        ),
        ("  runs: 120", "  runs: 0", "  runs", "monte_carlo.runs", "greater than or equal to 1"),
        (
            "  seed: 7\n",
            "  seed: 7\n  workers: 3\n",
            "  workers",
            "monte_carlo.workers",
            "Extra inputs",
        ),
    ],
)
def test_scenario_errors_name_file_line_and_field(
    old: str, new: str, starts: str, field: str, says: str
) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new)
    error = _error(text)
    where = error.where or ""
    assert where.startswith(f"s.yaml:{_line(text, starts)}:"), where
    assert where.endswith(f": {field}"), where
    assert says in error.message


def test_malformed_yaml_names_the_line() -> None:
    error = _error(SMALL.replace("host: ru", "host: [ru"))
    assert error.where is not None and error.where.startswith("s.yaml:")
    line, column = (int(n) for n in error.where.split(":")[1:])
    assert line in {_line(SMALL, "host: ru"), _line(SMALL, "host: ru") + 1} and column >= 1
    assert "malformed YAML" in error.message


def test_a_scenario_is_a_mapping() -> None:
    assert _error("- just\n- a list\n").where == "s.yaml"


def test_every_sweep_value_is_validated_and_named() -> None:
    text = SMALL + "sweep:\n  parameter: inspector.quota\n  values: [1, 2, 12]\n"
    error = _error(text)
    line = _line(text, "  values")
    column = text.splitlines()[line - 1].index("12") + 1  # the item itself
    assert error.where == f"s.yaml:{line}:{column}: sweep.values[2]"
    assert error.message.startswith("with inspector.quota = 12: ")


def test_a_sweep_of_a_missing_field_is_refused() -> None:
    text = SMALL + "sweep:\n  parameter: inspectors.crew.size\n  values: [1]\n"
    error = _error(text)
    assert error.where == _at(text, "  parameter", "sweep.parameter")


def test_shipped_scenarios_and_files_load_by_name_or_path(tmp_path: Path) -> None:
    from treatyverify.exercise import load_scenario

    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.name == "small.yaml" and loaded.base == tmp_path
    with pytest.raises(InputError, match="no shipped scenario"):
        load_scenario("no-such-scenario")
    with pytest.raises(InputError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


# Runs ---------------------------------------------------------------------------------


def _roots(result: object) -> list[str]:
    points = result.points  # type: ignore[attr-defined]
    return [run.root for point in points for run in point.cheating + point.compliant]


def test_results_do_not_depend_on_the_number_of_local_workers() -> None:
    loaded = parse_scenario(SMALL, name="s.yaml")
    seen: list[tuple[int, int]] = []
    alone = run_exercise(loaded, runs=4, progress=lambda done, total: seen.append((done, total)))
    pooled = run_exercise(loaded, runs=4, workers=2)
    assert _roots(alone) == _roots(pooled)
    assert alone.to_json()["points"] == pooled.to_json()["points"]
    assert seen[-1] == (8, 8)


def test_results_do_not_depend_on_the_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    loaded = parse_scenario(SMALL, name="s.yaml")
    alone = run_exercise(loaded, runs=4)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
    ):
        clustered = run_exercise(loaded, runs=4, scheduler=cluster.scheduler_address)
    assert _roots(alone) == _roots(clustered)
    assert clustered.workers == 0 and clustered.scheduler == cluster.scheduler_address


def test_an_unreachable_scheduler_is_one_clear_error() -> None:
    loaded = parse_scenario(SMALL, name="s.yaml")
    with pytest.raises(InputError, match="Dask scheduler") as caught:
        run_exercise(loaded, runs=1, scheduler="tcp://127.0.0.1:9")
    assert caught.value.where == "--scheduler"


def test_bad_run_settings_are_refused() -> None:
    loaded = parse_scenario(SMALL, name="s.yaml")
    for settings, where in [
        ({"runs": 0}, "--runs"),
        ({"seed": -1}, "--seed"),
        ({"workers": 0}, "--workers"),
    ]:
        with pytest.raises(InputError) as caught:
            run_exercise(loaded, **settings)  # type: ignore[arg-type]
        assert caught.value.where == where
