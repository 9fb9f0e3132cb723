"""The warehouse: a copy of the store for reviews, kept in step by `sync`, opened as an Ibis backend by `connect`."""

from accord.warehouse.connection import connect
from accord.warehouse.sync import SyncReport, TableReport, sync

__all__ = ["SyncReport", "TableReport", "connect", "sync"]
