from sqlalchemy import func, select

from accord.kernel.workspace import ensure_workspace
from accord.kernel.models import Workspace


def test_session_rolls_back_between_tests_part_one(session):
    ensure_workspace(session, name="First")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Workspace)) == 1


def test_session_rolls_back_between_tests_part_two(session):
    assert session.scalar(select(func.count()).select_from(Workspace)) == 0
