"""Every domain's tables, imported so that one MetaData knows them all (for Alembic)."""

from motormall.aftersales import models as aftersales_models
from motormall.catalog import models as catalog_models
from motormall.customers import models as customer_models
from motormall.finance import models as finance_models
from motormall.leads import models as lead_models
from motormall.marketing import models as marketing_models
from motormall.membership import models as membership_models
from motormall.notifications import models as notification_models
from motormall.orders import models as order_models
from motormall.payments import ledger
from motormall.payments import models as payment_models
from motormall.payments.providers import sandbox
from motormall.platform import audit, auth, events, idempotency, origin, outbox
from motormall.platform.db import Base
from motormall.surveys import models as survey_models
from motormall.testdrives import models as testdrive_models
from motormall.vision import models as vision_models

metadata = Base.metadata

__all__ = [
    "metadata",
    "aftersales_models",
    "catalog_models",
    "customer_models",
    "marketing_models",
    "membership_models",
    "finance_models",
    "notification_models",
    "lead_models",
    "order_models",
    "ledger",
    "payment_models",
    "sandbox",
    "audit",
    "auth",
    "events",
    "idempotency",
    "origin",
    "outbox",
    "vision_models",
    "testdrive_models",
    "survey_models",
]
