"""The finance console's forms."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from checkout.site.i18n import lazy_gettext as _l
from checkout.staff.forms import StaffForm


class ExplainForm(StaffForm):
    """Why an exception is as it is: the note stays with it and goes into the audit log."""

    note = TextAreaField(
        _l("What you found"),
        validators=[
            DataRequired(_l("Write what you found.")),
            Length(max=2000, message=_l("Keep the note under 2,000 characters.")),
        ],
    )
