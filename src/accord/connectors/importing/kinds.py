"""Every kind of import, by the name the command line uses."""

from __future__ import annotations

from .common import Kind
from .engagements import Engagements
from .marketing import SpendRows, Touches
from .orders import Orders
from .people import Contacts, Leads

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (Engagements(), Contacts(), Orders(), Leads(), SpendRows(), Touches())
}
