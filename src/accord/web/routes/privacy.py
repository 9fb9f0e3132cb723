"""A person's data on request: the export download and erasure, for owners."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.contacts.privacy import erase_person, export_person
from accord.kernel.audit import Actor
from accord.web.security import DbSession, page_user

router = APIRouter()


@router.get("/contacts/{contact_id}/export")
def export(session: DbSession, contact_id: int, user: User = page_user("owner")) -> Response:
    """Everything held about the person, as a JSON file."""
    data = export_person(session, contact_id)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'})


@router.post("/contacts/{contact_id}/erase")
def erase(session: DbSession, contact_id: int, reason: Annotated[str, Form()], user: User = page_user("owner")) -> Response:
    """Anonymise the person at their request; money figures stay."""
    erase_person(session, contact_id, actor=Actor.user(user), reason=reason or "at their request")
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)
