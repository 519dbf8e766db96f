"""The dashboard's summaries as JSON: the same view functions, for programs.

Each route returns what :mod:`treatyverify.service.views` computes from the ledger and
the treaty for the dashboard page of the same name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder

from treatyverify.service import views
from treatyverify.service.deps import Context, Reader

__all__ = ["router"]

router = APIRouter(prefix="/api")


@router.get("/status", summary="Declared holdings against the treaty's limits")
def status(member: Reader, context: Context) -> Any:
    return jsonable_encoder(views.treaty_status(context.spec, context.ledger, context.now()))


@router.get("/notifications", summary="Notices with deadlines; late, overdue, unacknowledged")
def notifications(member: Reader, context: Context) -> Any:
    return jsonable_encoder(views.notifications_view(context.spec, context.ledger, context.now()))


@router.get("/inspections", summary="Draws, inspection reports and barrier releases")
def inspections(member: Reader, context: Context) -> Any:
    return jsonable_encoder(views.inspections_view(context.spec, context.ledger, context.now()))


@router.get("/findings", summary="Findings and reports with their consensus state")
def findings(member: Reader, context: Context) -> Any:
    return jsonable_encoder(views.findings_view(context.spec, context.ledger, context.now()))


@router.get("/bulletins", summary="Monitoring bulletins and their located events")
def bulletins(member: Reader, context: Context) -> Any:
    view = views.monitoring_view(context.spec, context.ledger, context.now())
    return jsonable_encoder(view, exclude={"map_svg"})  # the map is the dashboard's
