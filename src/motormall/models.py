"""Every domain's tables, imported so that one MetaData knows them all (for Alembic)."""

from motormall.catalog import models as catalog_models  # noqa: F401
from motormall.platform import audit, auth, events, idempotency  # noqa: F401
from motormall.platform.db import Base

metadata = Base.metadata
