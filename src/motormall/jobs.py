"""Every domain's background tasks, imported so a worker knows them all."""

import motormall.handlers  # noqa: F401  jobs publish events too
from motormall.aftersales import jobs as aftersales_jobs  # noqa: F401
from motormall.analytics import jobs as analytics_jobs  # noqa: F401
from motormall.catalog import jobs as catalog_jobs  # noqa: F401
from motormall.finance import jobs as finance_jobs  # noqa: F401
from motormall.leads import jobs as lead_jobs  # noqa: F401
from motormall.marketing import jobs as marketing_jobs  # noqa: F401
from motormall.membership import jobs as membership_jobs  # noqa: F401
from motormall.notifications import jobs as notification_jobs  # noqa: F401
from motormall.orders import jobs as order_jobs  # noqa: F401
from motormall.payments import jobs as payment_jobs  # noqa: F401
from motormall.platform import maintenance  # noqa: F401
from motormall.surveys import jobs as survey_jobs  # noqa: F401
from motormall.testdrives import jobs as testdrive_jobs  # noqa: F401
from motormall.vision import jobs as vision_jobs  # noqa: F401
