"""Open the warehouse: DuckDB in the workspace by default, or the Ibis backend ACCORD_WAREHOUSE_URL names."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ibis

from accord.errors import SetupError
from accord.settings import Settings

WAREHOUSE_FILE = "warehouse.duckdb"
SPARK_URL = "pyspark://local"
URL_FORMS = "duckdb:///path/to/file.duckdb, postgres://user:password@host:5432/dbname or pyspark://local"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def connect(settings: Settings) -> Any:
    """The warehouse as an Ibis backend; one clear SetupError line when it cannot be opened."""
    url = (settings.warehouse_url or "").strip()
    if not url:
        return _duckdb(settings.workspace / WAREHOUSE_FILE)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "duckdb":
        return _ibis_connect(url)
    if scheme in ("postgres", "postgresql"):
        return _ibis_connect(url)
    if url.lower() == SPARK_URL:
        return spark_backend(settings.workspace / "spark")
    raise SetupError(f"ACCORD_WAREHOUSE_URL {describe(url)!r} is not a warehouse Accord can use; use {URL_FORMS}")


def _duckdb(path: Path) -> Any:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"the warehouse folder {path.parent} cannot be created: {exc.strerror}") from None
    return _ibis_connect(f"duckdb://{path}", shown=str(path))


def _ibis_connect(url: str, *, shown: str | None = None) -> Any:
    try:
        return ibis.connect(url)
    except Exception as exc:  # each backend's driver raises its own family; all mean "cannot open"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise SetupError(f"cannot open the warehouse at {shown or describe(url)}: {reason}") from None


def spark_session(folder: Path, *, persistent: bool = True) -> Any:
    """A local SparkSession in UTC with its warehouse (and, when persistent, its catalog) under `folder`."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SetupError("the Spark warehouse needs pyspark: pip install 'accord[spark]'") from None
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master("local[*]").appName("accord")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(folder / "warehouse"))
        # One machine: a few partitions keep small aggregations from scheduling hundreds of empty tasks.
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
    )
    if persistent:
        # A catalog on disk, so tables written by `accord sync` are there for the next process.
        builder = builder.enableHiveSupport().config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, or a JVM that would not start
        raise SetupError(f"cannot start Spark: {str(exc).strip().splitlines()[0]}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(folder: Path) -> Any:
    """An Ibis backend over a local, persistent SparkSession whose files live in `folder`."""
    return ibis.pyspark.connect(spark_session(folder))
