"""Exercise runs requested through the service: queued, run one at a time, reported.

A party or the secretariat asks for a shipped scenario (never a file path) with a run
count and a seed; a worker thread plays it with :func:`run_exercise` and writes the
report into ``exercises.out/<run id>/``. The run's state lives in the service's
``exercise_runs`` table; a run cut short by a server stop is marked *interrupted* when
the service starts again.
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update

from treatyverify.errors import TreatyVerifyError
from treatyverify.exercise import load_scenario, run_exercise, shipped_scenarios
from treatyverify.records.ledger import format_time
from treatyverify.service.context import ServiceContext
from treatyverify.service.deps import Context, Reader, Writer
from treatyverify.service.state import exercise_runs

__all__ = ["ExerciseRequest", "ExerciseRunner", "get_runner", "router"]

router = APIRouter(prefix="/api/exercises")

RunId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
UNFINISHED = ("queued", "running")
REPORT_FILE = re.compile(
    r"^(report\.(html|pdf)|summary\.json|runs\.jsonl|figures/[a-z0-9_-]+\.(png|svg))$"
)


class ExerciseRequest(BaseModel):
    """A run of a shipped scenario.

    Attributes
    ----------
    scenario
        A shipped scenario id (``GET /api/exercises/scenarios``).
    runs
        Runs per strategy and sweep point; the scenario's own count when absent.
    seed
        Root seed; the same seed gives the same results.
    """

    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=100)
    runs: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class ExerciseRunner:
    """Runs requested exercises one at a time on a worker thread."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exercise")
        self.lock = threading.Lock()  # counting and queueing are one step
        with context.state.begin() as connection:
            connection.execute(
                update(exercise_runs)
                .where(exercise_runs.c.status.in_(UNFINISHED))
                .values(status="interrupted", message="the service stopped before the run ended")
            )

    def submit(self, request: ExerciseRequest, requested_by: str) -> dict[str, Any]:
        """Record the request and queue it; its row as JSON."""
        if request.scenario not in shipped_scenarios():
            raise HTTPException(
                422,
                f"scenario: no shipped scenario {request.scenario!r} "
                "(see /api/exercises/scenarios)",
            )
        most = self.context.config.exercises.max_runs
        if request.runs is not None and request.runs > most:
            raise HTTPException(422, f"runs: at most {most} runs per request")
        with self.lock:
            return self._queue(request, requested_by)

    def _queue(self, request: ExerciseRequest, requested_by: str) -> dict[str, Any]:
        """Insert the request's row and queue it, unless the queue is full (429)."""
        bound = self.context.config.exercises.max_queued
        with self.context.state.begin() as connection:
            waiting = connection.execute(
                select(func.count())
                .select_from(exercise_runs)
                .where(exercise_runs.c.status.in_(UNFINISHED))
            ).scalar_one()
        if waiting >= bound:
            raise HTTPException(
                429, f"the exercise queue is full ({waiting} queued or running); try later"
            )
        run_id = uuid.uuid4().hex
        row = {
            "id": run_id,
            "scenario": request.scenario,
            "runs": request.runs,
            "seed": request.seed,
            "requested_by": requested_by,
            "requested": format_time(self.context.now()),
            "status": "queued",
            "finished": None,
            "message": None,
        }
        with self.context.state.begin() as connection:
            connection.execute(exercise_runs.insert().values(**row))
        self.pool.submit(self._run, run_id, request)
        return row

    def folder(self, run_id: str) -> Path:
        """The report folder of a run."""
        return self.context.config.exercises.out / run_id

    def _set(self, run_id: str, **values: Any) -> None:
        with self.context.state.begin() as connection:
            connection.execute(
                update(exercise_runs).where(exercise_runs.c.id == run_id).values(**values)
            )

    def _run(self, run_id: str, request: ExerciseRequest) -> None:
        # Imported here: the report brings matplotlib, which only a run needs.
        from treatyverify.report.exercise_report import write_exercise_report

        self._set(run_id, status="running")
        try:
            loaded = load_scenario(request.scenario)
            result = run_exercise(
                loaded,
                runs=request.runs,
                seed=request.seed,
                workers=self.context.config.exercises.workers,
            )
            write_exercise_report(result, self.folder(run_id))
        except TreatyVerifyError as exc:
            self._set(run_id, status="failed", finished=self._now(), message=str(exc))
        except Exception as exc:  # a run must never take the server down
            message = f"the run failed ({type(exc).__name__})"
            self._set(run_id, status="failed", finished=self._now(), message=message)
        else:
            self._set(run_id, status="done", finished=self._now(), message="report written")

    def _now(self) -> str:
        return format_time(self.context.now())

    def close(self) -> None:
        """Stop taking runs; wait for the one under way."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def get_runner(request: Request) -> ExerciseRunner:
    """The application's runner (see :func:`treatyverify.service.app.create_app`)."""
    runner: ExerciseRunner = request.app.state.exercise_runner
    return runner


Runner = Annotated[ExerciseRunner, Depends(get_runner)]


def _row(context: ServiceContext, run_id: str) -> dict[str, Any]:
    with context.state.connect() as connection:
        row = connection.execute(select(exercise_runs).where(exercise_runs.c.id == run_id)).first()
    if row is None:
        raise HTTPException(404, f"no exercise run {run_id}")
    return dict(row._mapping)


@router.get("/scenarios", summary="Shipped scenarios a run may name")
def scenarios(member: Reader) -> dict[str, Any]:
    return {"scenarios": shipped_scenarios()}


@router.post("", status_code=202, summary="Queue an exercise run")
def start(request: ExerciseRequest, member: Writer, runner: Runner) -> dict[str, Any]:
    return runner.submit(request, member.id)


@router.get("", summary="Exercise runs, newest first")
def runs(member: Reader, context: Context) -> dict[str, Any]:
    with context.state.connect() as connection:
        rows = connection.execute(
            select(exercise_runs).order_by(exercise_runs.c.requested.desc()).limit(200)
        ).all()
    return {"runs": [dict(row._mapping) for row in rows]}


@router.get("/{run_id}", summary="One exercise run")
def run(run_id: RunId, member: Reader, context: Context) -> dict[str, Any]:
    return _row(context, run_id)


@router.get("/{run_id}/files/{name:path}", summary="A file of a finished run's report")
def report_file(
    run_id: RunId, name: str, member: Reader, context: Context, runner: Runner
) -> FileResponse:
    row = _row(context, run_id)
    if row["status"] != "done":
        raise HTTPException(409, f"exercise run {run_id} is {row['status']}, not done")
    if not REPORT_FILE.match(name):
        raise HTTPException(404, f"no report file {name[:100]!r}")
    path = runner.folder(run_id) / name
    if not path.is_file():
        raise HTTPException(404, f"no report file {name!r}")
    return FileResponse(path)
