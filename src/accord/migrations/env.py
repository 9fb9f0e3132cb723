"""Alembic environment: migrate the engine handed in by accord.kernel.migrate."""

from alembic import context

from accord.kernel.db import UTCDateTime
from accord.models import metadata

config = context.config


def _render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain timezone-aware DateTime so migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=_render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
