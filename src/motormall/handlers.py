"""The composition root for domain events and ports: importing this module registers every
domain's handlers (`<domain>/handlers.py`) and every port implementation, after which
`platform.events.publish` may run. The app, the worker and the CLI import it."""

from motormall.customers import handlers as customer_handlers  # noqa: F401
from motormall.finance import handlers as finance_handlers  # noqa: F401
from motormall.finance import payable as instalment_payable  # noqa: F401
from motormall.finance import standing as credit_standing  # noqa: F401  membership's port
from motormall.marketing import handlers as marketing_handlers  # noqa: F401
from motormall.marketing import launch as marketing_boost  # noqa: F401  membership's PointsBoost
from motormall.membership import handlers as membership_handlers  # noqa: F401
from motormall.notifications import handlers as notification_handlers  # noqa: F401
from motormall.orders import payable as order_payable  # noqa: F401
from motormall.platform import events
from motormall.surveys import handlers as survey_handlers  # noqa: F401

events.mark_wired()
