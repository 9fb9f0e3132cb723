"""Personas: the customer templates, declared by rules or discovered from the data, and which of them buy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import last_twelve_months
from accord.kernel.money import Money
from accord.kernel.workspace import get_workspace, workspace_today
from accord.personas import rules as declared
from accord.personas.queries import list_personas, persona_detail, rule_attributes
from accord.personas.schemas import PersonaChange, PersonaIn
from accord.personas.service import compute_fits, create_persona, delete_persona, discover_personas, update_persona
from accord.reviews.base import get_review
from accord.reviews.forms import query_pairs
from accord.reviews.personas import PersonasQuery, PersonasResult
from accord.reviews.report import run_review, warehouse_for
from accord.web.security import EVERYONE, PLANNERS, DbSession, page_user, store_of

router = APIRouter()
BLANK_ROWS = 3
Texts = Annotated[list[str] | None, Form()]
OPERATOR_WORDS = {"in": "is one of", "not_in": "is none of", "any_of": "has any of", "all_of": "has all of",
                  "none_of": "has none of", "at_least": "at least", "at_most": "at most", "between": "between"}
CONDITION_FIELD = re.compile(r"^rules\.conditions\[(\d+)\]\.?(.*)$")
# Amounts keep their thousands commas ("1,500"), so two of them are written "1,000 and 5,000" (or with ";" or "to").
AMOUNT_SEPARATOR = re.compile(r"\s*(?:;|\band\b|\bto\b)\s*")


@dataclass(frozen=True)
class Synergy:
    """The synergy review over the last twelve months, for the persona pages; `problem` says why it is missing."""

    result: PersonasResult | None
    by_persona: dict[int | None, Any]
    link: str
    period: str
    problem: str | None

    @property
    def lifetime_note(self) -> str | None:
        """Why lifetime value is missing, when the Customers review could not estimate it."""
        notes = self.result.notes if self.result else []
        return next((n for n in notes if n.startswith("Lifetime value is not estimated")), None)


def synergy(request: Request, session: Session) -> Synergy:
    """Persona synergy for the twelve months up to today, from the warehouse (as of its last sync)."""
    today = workspace_today(session)
    from_on, to_on = last_twelve_months(today)
    query = PersonasQuery(from_on=from_on, to_on=to_on)
    link = "/reviews/personas?" + urlencode(query_pairs(query))
    period = f"{from_on:%d %b %Y} to {today:%d %b %Y}"
    try:
        with warehouse_for(store_of(request).settings) as warehouse:
            result = run_review(warehouse, get_review("personas"), query)
    except (Conflict, Invalid) as exc:
        return Synergy(None, {}, link, period, exc.message)
    return Synergy(result, {(r.kind, r.persona_id): r for r in result.personas}, link, period, None)


def _render(request: Request, name: str, user: User, status: int = 200, **context) -> Response:
    context = {"user": user, "active": "/personas", "can_edit": user.role in PLANNERS,
               "operators": declared.OPERATORS, "operator_words": OPERATOR_WORDS, **context}
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _rows_from_form(attributes: list[str], operators: list[str], values: list[str], weights: list[str]
                    ) -> list[dict[str, str]]:
    """The builder's rows as typed (blank rows dropped), to show again after a mistake."""
    rows = []
    for i, attribute in enumerate(attributes):
        row = {"attribute": attribute.strip(), "operator": operators[i] if i < len(operators) else "",
               "values": values[i] if i < len(values) else "", "weight": weights[i] if i < len(weights) else ""}
        if row["attribute"] or row["values"].strip():
            rows.append(row)
    return rows


def _rules(rows: list[dict[str, str]], currency: str) -> dict[str, Any]:
    """A rule set from the builder's rows: texts separated by commas, amounts in major units ("1,000 and 5,000")."""
    conditions = []
    for number, row in enumerate(rows, start=1):
        values: list[Any]
        if row["attribute"] in declared.AMOUNT_ATTRIBUTES:
            values = [Money.parse(p, currency, field=f"Condition {number}, values").minor
                      for p in AMOUNT_SEPARATOR.split(row["values"].strip()) if p]
        else:
            values = [p.strip() for p in row["values"].split(",") if p.strip()]
        condition: dict[str, Any] = {"attribute": row["attribute"], "operator": row["operator"], "values": values}
        weight = row["weight"].strip()
        if weight:
            try:
                condition["weight"] = float(weight) if "." in weight else int(weight)
            except ValueError:
                condition["weight"] = weight  # the service names it
        conditions.append(condition)
    return {"conditions": conditions}


def _rows_of(conditions: list[dict[str, Any]], currency: str) -> list[dict[str, str]]:
    """Stored conditions as builder rows."""
    rows = []
    for c in conditions:
        amounts = c["attribute"] in declared.AMOUNT_ATTRIBUTES
        shown = [f"{Money(v, currency).decimal:,}" if amounts else v for v in c["values"]]
        rows.append({"attribute": c["attribute"], "operator": c["operator"],
                     "values": (" and " if amounts else ", ").join(shown),
                     "weight": "" if c.get("weight", 1) == 1 else str(c["weight"])})
    return rows


def error_text(exc: Invalid | Conflict) -> str:
    """The error with a rule's place in words: rules.conditions[0].operator reads 'Condition 1, operator'."""
    if isinstance(exc, Invalid):
        found = CONDITION_FIELD.match(exc.field)
        field = f"Condition {int(found.group(1)) + 1}, {found.group(2) or 'the condition'}" if found else exc.field
        return f"{field}: {exc.reason}"
    return exc.message


def _list_page(request: Request, session: Session, user: User, *, status: int = 200, error: str | None = None,
               form: dict[str, Any] | None = None) -> Response:
    personas = list_personas(session)
    return _render(
        request, "personas/index.html", user, status, personas=personas, synergy=synergy(request, session),
        attributes=rule_attributes(session), error=error,
        form=form or {"name": "", "description": "", "rows": []}, blank_rows=BLANK_ROWS,
        currency=get_workspace(session).base_currency,
    )


@router.get("/personas")
def personas_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Every persona with what sets it apart, how many fit it and how well they buy; forms for the marketers."""
    return _list_page(request, session, user)


@router.post("/personas")
def declare(
    request: Request, session: DbSession, name: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
    attribute: Texts = None, operator: Texts = None, values: Texts = None, weight: Texts = None,
    user: User = page_user(*PLANNERS),
) -> Response:
    """Declare a persona from the rule builder's rows; a mistake is shown above the form, with what was typed."""
    rows = _rows_from_form(attribute or [], operator or [], values or [], weight or [])
    try:
        with session.begin_nested():  # a refused persona leaves nothing behind
            rules = _rules(rows, get_workspace(session).base_currency)
            persona = create_persona(session, PersonaIn(name=name, description=description, rules=rules),
                                     actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _list_page(request, session, user, status=exc.status_code, error=error_text(exc),
                          form={"name": name, "description": description, "rows": rows})
    return RedirectResponse(f"/personas/{persona.id}", status_code=303)


@router.post("/personas/discover")
def discover(request: Request, session: DbSession, clusters: Annotated[str, Form()] = "",
             user: User = page_user(*PLANNERS)) -> Response:
    """Find 2 to 4 personas in the data, replacing the discovered ones."""
    try:
        if clusters.strip() and not clusters.strip().isdigit():
            raise Invalid("clusters", f"'{clusters}' is not 2, 3 or 4")
        with session.begin_nested():
            discover_personas(session, clusters=int(clusters) if clusters.strip() else None, actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _list_page(request, session, user, status=exc.status_code, error=error_text(exc))
    return RedirectResponse("/personas#discovered", status_code=303)


@router.post("/personas/fits")
def refit(session: DbSession, user: User = page_user(*PLANNERS)) -> Response:
    """Score every contact against every persona again (new contacts, changed attributes)."""
    compute_fits(session)
    return RedirectResponse("/personas", status_code=303)


def _detail_page(request: Request, session: Session, user: User, persona_id: int, *, status: int = 200,
                 error: str | None = None, form: dict[str, Any] | None = None) -> Response:
    detail = persona_detail(session, persona_id)
    summary = detail.summary
    currency = get_workspace(session).base_currency
    form = form or {"name": summary.name, "description": summary.description,
                    "rows": _rows_of(summary.rules.get("conditions", []), currency)}
    return _render(request, "personas/detail.html", user, status, detail=detail, persona=summary,
                   synergy=synergy(request, session), attributes=rule_attributes(session), error=error, form=form,
                   blank_rows=2, currency=currency)


@router.get("/personas/{persona_id}")
def persona_page(request: Request, session: DbSession, persona_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """One persona: its rules or distinguishing attributes, its figures and the contacts who fit it best."""
    return _detail_page(request, session, user, persona_id)


@router.post("/personas/{persona_id}")
def change(
    request: Request, session: DbSession, persona_id: int, name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "", attribute: Texts = None, operator: Texts = None, values: Texts = None,
    weight: Texts = None, user: User = page_user(*PLANNERS),
) -> Response:
    """Rename or re-describe a persona; a declared one also takes new rules and is scored again."""
    rows = _rows_from_form(attribute or [], operator or [], values or [], weight or [])
    try:
        with session.begin_nested():  # a refused change leaves the persona as it was
            persona = update_persona(session, persona_id, PersonaChange(
                name=name, description=description,
                rules=_rules(rows, get_workspace(session).base_currency) if attribute is not None else None,
            ), actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _detail_page(request, session, user, persona_id, status=exc.status_code, error=error_text(exc),
                            form={"name": name, "description": description, "rows": rows})
    return RedirectResponse(f"/personas/{persona.id}", status_code=303)


@router.post("/personas/{persona_id}/delete")
def remove(session: DbSession, persona_id: int, user: User = page_user(*PLANNERS)) -> Response:
    """Remove a persona and its fits."""
    delete_persona(session, persona_id, actor=Actor.user(user))
    return RedirectResponse("/personas", status_code=303)
