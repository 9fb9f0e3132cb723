"""Imports every domain's tables so that Base.metadata holds the whole schema."""

from accord.accounts import models as accounts  # noqa: F401
from accord.business import models as business  # noqa: F401
from accord.campaigns import models as campaigns  # noqa: F401
from accord.consent import models as consent  # noqa: F401
from accord.contacts import models as contacts  # noqa: F401
from accord.conversations import models as conversations  # noqa: F401
from accord.demo import models as demo  # noqa: F401
from accord.connectors import models as connectors  # noqa: F401
from accord.engagement import models as engagement  # noqa: F401
from accord.kernel import models as kernel  # noqa: F401
from accord.kernel.db import Base
from accord.nurture import models as nurture  # noqa: F401
from accord.personas import models as personas  # noqa: F401
from accord.pipeline import models as pipeline  # noqa: F401
from accord.planning import models as planning  # noqa: F401

metadata = Base.metadata
