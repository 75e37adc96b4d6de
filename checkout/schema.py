"""Imports every feature's models, so Base.metadata describes the whole schema.

Alembic's autogenerate and the schema test read `metadata` from here; add new model modules.
"""

from __future__ import annotations

from checkout.audit import models as _audit_models  # noqa: F401 - registers tables
from checkout.consent import models as _consent_models  # noqa: F401 - registers tables
from checkout.db import Base
from checkout.donations import models as _donation_models  # noqa: F401 - registers tables
from checkout.finance import models as _finance_models  # noqa: F401 - registers tables
from checkout.outbox import models as _outbox_models  # noqa: F401 - registers tables
from checkout.payments import models as _payment_models  # noqa: F401 - registers tables
from checkout.portal import models as _portal_models  # noqa: F401 - registers tables
from checkout.receipts import models as _receipt_models  # noqa: F401 - registers tables
from checkout.signup import models as _signup_models  # noqa: F401 - registers tables
from checkout.staff import models as _staff_models  # noqa: F401 - registers tables
from checkout.support import models as _support_models  # noqa: F401 - registers tables
from checkout.transfers import models as _transfer_models  # noqa: F401 - registers tables
from checkout.wizard import models as _wizard_models  # noqa: F401 - registers tables

metadata = Base.metadata
