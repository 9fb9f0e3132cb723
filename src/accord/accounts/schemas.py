"""Input and output shapes for users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["owner", "marketing", "sales", "viewer"]


class UserIn(BaseModel):
    """A new user."""

    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=10, max_length=200)


class UserOut(BaseModel):
    """A user as shown to others."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
