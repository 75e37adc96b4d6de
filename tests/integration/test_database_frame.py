"""The test frame itself: each test's writes vanish when it ends, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.wizard.models import CheckoutDraft
from tests.factories import make_draft

MARKER_LOCALE = "xx"  # a locale no real draft uses, so these tests see only their own rows


def _marked_drafts(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(CheckoutDraft)
            .where(CheckoutDraft.locale == MARKER_LOCALE)
        )
        or 0
    )


# Two identical tests: whichever runs second fails if the first one's committed row survived.
@pytest.mark.parametrize("attempt", ["first", "second"])
def test_a_committed_row_is_gone_in_the_next_test(db_session: Session, attempt: str) -> None:
    assert _marked_drafts(db_session) == 0, f"{attempt}: a row leaked from an earlier test"
    make_draft(db_session, locale=MARKER_LOCALE)
    db_session.commit()  # a real commit: the frame turns it into a savepoint
    assert _marked_drafts(db_session) == 1


@pytest.mark.parametrize("attempt", ["first", "second"])
def test_a_row_written_by_a_request_is_gone_in_the_next_test(app, attempt: str) -> None:
    @app.post("/_test/write-draft")
    def write_draft() -> str:
        from checkout.db import db_session

        make_draft(db_session(), locale=MARKER_LOCALE)
        return "written"  # the after-request hook commits

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        from checkout.db import db_session

        assert _marked_drafts(db_session()) == 0, f"{attempt}: a row leaked from an earlier test"
    assert app.test_client().post("/_test/write-draft").status_code == 200
    with app.app_context():
        from checkout.db import db_session

        assert _marked_drafts(db_session()) == 1


def test_an_error_response_rolls_back_the_request(app) -> None:
    @app.post("/_test/write-then-fail")
    def write_then_fail() -> tuple[str, int]:
        from checkout.db import db_session

        make_draft(db_session(), locale=MARKER_LOCALE)
        return "refused", 422

    app.config["WTF_CSRF_ENABLED"] = False
    assert app.test_client().post("/_test/write-then-fail").status_code == 422
    with app.app_context():
        from checkout.db import db_session

        assert _marked_drafts(db_session()) == 0
