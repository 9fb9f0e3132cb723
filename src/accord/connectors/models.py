"""Records of import runs: what file, what came of each row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import one_of

IMPORT_KINDS = ("engagements", "contacts", "orders", "leads", "spend", "touches")


class ImportRun(Base):
    """One run of an importer over one file, with its counts."""

    __tablename__ = "import_run"
    __table_args__ = (one_of("kind", IMPORT_KINDS), one_of("status", ("running", "finished", "failed")))

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    preset: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_duplicate: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    rejects_path: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(String(1000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(120))
