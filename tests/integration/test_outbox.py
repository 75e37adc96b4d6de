"""The outbox: idempotent enqueue, a transaction per message or per declared batch, retries
with backoff, dead letters, leases, staff commands."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from checkout.db import get_database
from checkout.outbox.models import OutboxMessage
from checkout.outbox.registry import (
    PermanentFailure,
    enqueue,
    enqueue_all,
    register,
    register_batch,
)
from checkout.outbox.worker import Worker, WorkerSettings, backoff

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CALLS: list[dict] = []


@register("test.record")
def _record(session, payload) -> None:
    CALLS.append(payload)


@register("test.flaky")
def _flaky(session, payload) -> None:
    raise ConnectionError("smtp down")


@register("test.refuse")
def _refuse(session, payload) -> None:
    raise PermanentFailure("exemption notice older than 5 years")


SESSIONS: list[tuple[str, object]] = []


@register("test.spawn")
def _spawn(session, payload) -> None:
    """Writes (queues a child message), then fails if told to: its write must not stand."""
    SESSIONS.append(("spawn", session))
    enqueue(session, "test.record", f"child-of-{payload['n']}", {"parent": payload["n"]})
    if payload.get("fail"):
        raise ConnectionError("failed after writing")


@register("test.note_session")
def _note_session(session, payload) -> None:
    SESSIONS.append(("note", session))


BATCH_CALLS: list[list[object]] = []


@register_batch("test.batch", 3)
def _spawn_batch(session, payloads) -> list[Exception | None]:
    """Several messages at once: writes for each but those it fails; raises if told to."""
    BATCH_CALLS.append([payload["n"] for payload in payloads])
    SESSIONS.append(("batch", session))
    if any(payload.get("explode") for payload in payloads):
        raise RuntimeError("the batch broke")
    outcomes: list[Exception | None] = []
    for payload in payloads:
        if payload.get("fail") == "dead":
            outcomes.append(PermanentFailure("refused"))
            continue
        if payload.get("fail"):
            outcomes.append(ConnectionError("this one failed"))
            continue
        enqueue(session, "test.record", f"child-of-{payload['n']}", {"parent": payload["n"]})
        outcomes.append(None)
    return outcomes


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(app, clock) -> Worker:
    CALLS.clear()
    settings = WorkerSettings(max_attempts=3, backoff_base=timedelta(seconds=10))
    return Worker(
        get_database(app).session_factory, settings, name="w1", clock=clock, rand=lambda: 0.5
    )


def add(db_session, name: str, key: str, **payload) -> OutboxMessage:
    message = db_session.get(OutboxMessage, enqueue(db_session, name, key, payload))
    message.available_at = T0
    db_session.commit()
    return message


def test_the_same_key_is_enqueued_once(db_session) -> None:
    first = enqueue(db_session, "test.record", "k-1", {"n": 1})
    second = enqueue(db_session, "test.record", "k-1", {"n": 2})
    assert first == second
    [message] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.key == "k-1")).all()
    assert (message.name, message.payload, message.status, message.attempts) == (
        "test.record",
        {"n": 1},  # the first one's payload: the second added nothing
        "pending",
        0,
    )
    assert message.available_at is not None and message.created_at is not None


def test_a_worker_for_some_names_leaves_the_others_waiting(app, db_session, clock) -> None:
    """`flask worker --only NAME`: a worker kept for webhooks while others send statements."""
    CALLS.clear()
    other = add(db_session, "test.spawn", "only-other", n=0)
    mine = add(db_session, "test.record", "only-mine", n=1)
    only = Worker(
        get_database(app).session_factory, name="w-only", clock=clock, names={"test.record"}
    )
    assert only.run_once() == 1
    assert only.run_once() == 0
    db_session.refresh(other)
    db_session.refresh(mine)
    assert (mine.status, other.status) == ("done", "pending")
    assert CALLS == [{"n": 1}]


def test_the_worker_command_takes_the_names_it_runs(app, db_session, monkeypatch) -> None:
    from checkout.outbox import commands

    made: list[frozenset[str] | None] = []
    real = commands.make_worker

    def spy(batch: int, names: frozenset[str] | None = None) -> Worker:
        made.append(names)
        return real(batch, names)

    monkeypatch.setattr(commands, "make_worker", spy)
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask` gives every command
        result = runner.invoke(args=["worker", "--once", "--only", "a.b", "--only", "c.d"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert made == [frozenset({"a.b", "c.d"}), None]


def test_a_message_runs_once_and_is_done(db_session, worker) -> None:
    message = add(db_session, "test.record", "run-1", n=1)
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert CALLS == [{"n": 1}]
    db_session.refresh(message)
    assert message.status == "done"
    assert message.done_at == T0


def test_a_failure_is_retried_later_with_backoff_then_dead(db_session, worker, clock) -> None:
    message = add(db_session, "test.flaky", "flaky-1")
    assert worker.run_once() == 0
    db_session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.available_at == T0 + timedelta(seconds=10)  # base, jitter factor 1.0
    assert "smtp down" in (message.last_error or "")
    assert worker.run_once() == 0  # not due yet: nothing claimed
    db_session.refresh(message)
    assert message.attempts == 1
    clock.now = T0 + timedelta(seconds=11)
    worker.run_once()
    db_session.refresh(message)
    assert message.available_at == clock.now + timedelta(seconds=20)  # doubled
    clock.now += timedelta(seconds=21)
    worker.run_once()
    db_session.refresh(message)
    assert (message.status, message.attempts) == ("dead", 3)


def test_a_permanent_refusal_is_dead_at_once_with_its_reason(db_session, worker) -> None:
    message = add(db_session, "test.refuse", "refuse-1")
    worker.run_once()
    db_session.refresh(message)
    assert message.status == "dead"
    assert message.attempts == 1
    assert "exemption notice older than 5 years" in (message.last_error or "")


def test_messages_are_claimed_in_the_order_they_fell_due(app, db_session, clock) -> None:
    """Due order (the index's): a retried message waits behind what fell due before it."""
    later = add(db_session, "test.record", "due-later", n=1)
    sooner = add(db_session, "test.record", "due-sooner", n=2)
    later.available_at = T0 - timedelta(seconds=5)
    sooner.available_at = T0 - timedelta(seconds=50)
    db_session.commit()
    sessions = get_database(app).session_factory
    worker = Worker(sessions, WorkerSettings(batch_size=1), name="w1", clock=clock)
    assert [message.id for message in worker.claim()] == [sooner.id]
    assert [message.id for message in worker.claim()] == [later.id]


def test_a_claimed_message_is_taken_again_only_after_its_lease(app, db_session, clock) -> None:
    add(db_session, "test.record", "lease-1", n=7)
    sessions = get_database(app).session_factory
    first = Worker(sessions, WorkerSettings(lease=timedelta(minutes=5)), name="dies", clock=clock)
    second = Worker(sessions, WorkerSettings(), name="lives", clock=clock)
    assert len(first.claim()) == 1  # ... and then the first worker dies
    assert second.claim() == []
    clock.now = T0 + timedelta(minutes=6)
    CALLS.clear()
    assert second.run_once() == 1
    assert CALLS == [{"n": 7}]


def test_staff_can_list_and_retry_dead_messages(app, db_session, worker) -> None:
    message = add(db_session, "test.refuse", "refuse-2")
    worker.run_once()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "dead"])
    assert f"{message.id}\ttest.refuse" in listed.output
    retried = runner.invoke(args=["outbox", "retry", str(message.id)])
    assert retried.exit_code == 0, retried.output
    db_session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)
    assert runner.invoke(args=["outbox", "retry", "999999"]).exit_code != 0


def keys_like(db_session, pattern: str) -> list[str]:
    return sorted(
        db_session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like(pattern)))
    )


def test_each_message_runs_in_a_transaction_of_its_own(db_session, worker) -> None:
    """A failing message loses its own writes and no one else's."""
    SESSIONS.clear()
    parents = [add(db_session, "test.spawn", f"spawn-{n}", n=n, fail=n == 2) for n in range(4)]
    assert worker.run_once() == 3
    assert keys_like(db_session, "child-of-%") == ["child-of-0", "child-of-1", "child-of-3"]
    statuses = []
    for parent in parents:
        db_session.refresh(parent)
        statuses.append((parent.status, parent.attempts))
    assert statuses == [("done", 0), ("done", 0), ("pending", 1), ("done", 0)]
    assert "failed after writing" in (parents[2].last_error or "")
    assert len({id(session) for _name, session in SESSIONS}) == 4  # a transaction each


def test_a_transaction_that_fails_to_commit_counts_a_failed_attempt(
    app, db_session, worker
) -> None:
    """Nothing of the failed transaction stands; the message is retried later."""
    failures = iter([False, True])  # the claim commits; the message's commit fails

    def sessions():
        session = get_database(app).session_factory()

        @event.listens_for(session, "before_commit")
        def _refuse_once(session) -> None:
            if next(failures, False):
                raise OperationalError("COMMIT", {}, ConnectionError("server went away"))

        return session

    worker.sessions = sessions
    message = add(db_session, "test.spawn", "commit-0", n="commit-0")
    assert worker.run_once() == 0
    assert keys_like(db_session, "child-of-commit-%") == []
    db_session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "server went away" in (message.last_error or "")


@given(attempts=st.integers(1, 40), jitter=st.floats(0, 1, exclude_max=True))
def test_backoff_grows_is_capped_and_jittered(attempts: int, jitter: float) -> None:
    settings = WorkerSettings(backoff_base=timedelta(seconds=30), backoff_cap=timedelta(hours=6))
    delay = backoff(attempts, settings, lambda: jitter)
    nominal = min(timedelta(seconds=30) * 2 ** (attempts - 1), timedelta(hours=6))
    assert nominal * 0.5 <= delay <= nominal * 1.5  # timedelta rounds to microseconds


@pytest.mark.postgres
def test_two_transactions_enqueuing_one_key_at_once_share_the_message(engine) -> None:
    """The second waits for the first's commit, then gets its message, its own work intact."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    key = "race-enqueue-same-key"
    try:
        with factory() as first:
            mine = enqueue(first, "tests.record", key, {"n": 1})
            first.flush()  # inserted, not committed: the second transaction's INSERT waits
            found: dict[str, object] = {}

            def second_transaction() -> None:
                with factory() as second:
                    other = enqueue(second, "tests.record", "race-enqueue-other", {"n": 3})
                    found["message"] = enqueue(second, "tests.record", key, {"n": 2})
                    second.commit()  # still usable: the duplicate did not doom it
                    found["other"] = other

            racer = threading.Thread(target=second_transaction)
            racer.start()
            racer.join(timeout=0.5)
            assert racer.is_alive(), "the second INSERT should wait for the first transaction"
            first.commit()
            racer.join(timeout=10)
        assert found["message"] == mine
        with factory() as check:
            keys = check.scalars(
                select(OutboxMessage.key).where(OutboxMessage.key.like("race-enqueue-%"))
            ).all()
            assert sorted(keys) == ["race-enqueue-other", key]
    finally:
        with factory() as cleanup, cleanup.begin():
            cleanup.execute(delete(OutboxMessage).where(OutboxMessage.key.like("race-enqueue-%")))


def test_a_batch_handler_runs_up_to_its_size_in_one_transaction(db_session, worker) -> None:
    BATCH_CALLS.clear()
    SESSIONS.clear()
    messages = [add(db_session, "test.batch", f"batch-{n}", n=f"b{n}") for n in range(4)]
    add(db_session, "test.note_session", "between")
    assert worker.run_once() == 5
    assert BATCH_CALLS == [["b0", "b1", "b2"], ["b3"]]  # batches of at most 3
    batches = [session for name, session in SESSIONS if name == "batch"]
    notes = [session for name, session in SESSIONS if name == "note"]
    assert len({id(session) for session in batches + notes}) == 3
    assert keys_like(db_session, "child-of-b%") == [f"child-of-b{n}" for n in range(4)]
    for message in messages:
        db_session.refresh(message)
        assert (message.status, message.attempts) == ("done", 0)


def test_a_batch_handler_fails_its_messages_one_by_one(db_session, worker) -> None:
    """Its outcomes say which failed: retried with backoff, or dead; the rest are done."""
    BATCH_CALLS.clear()
    messages = [
        add(db_session, "test.batch", "own-0", n="o0"),
        add(db_session, "test.batch", "own-1", n="o1", fail="retry"),
        add(db_session, "test.batch", "own-2", n="o2", fail="dead"),
    ]
    assert worker.run_once() == 1
    assert BATCH_CALLS == [["o0", "o1", "o2"]]
    assert keys_like(db_session, "child-of-o%") == ["child-of-o0"]
    outcomes = []
    for message in messages:
        db_session.refresh(message)
        outcomes.append((message.status, message.attempts))
    assert outcomes == [("done", 0), ("pending", 1), ("dead", 1)]
    assert "this one failed" in (messages[1].last_error or "")


def test_a_batch_handler_that_raises_leaves_nothing_and_fails_every_message(
    db_session, worker
) -> None:
    messages = [
        add(db_session, "test.batch", f"boom-{n}", n=f"x{n}", explode=n == 1) for n in range(3)
    ]
    assert worker.run_once() == 0
    assert keys_like(db_session, "child-of-x%") == []
    for message in messages:
        db_session.refresh(message)
        assert (message.status, message.attempts) == ("pending", 1)
        assert "the batch broke" in (message.last_error or "")


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        register_batch("test.empty", 0)


def test_a_message_nobody_handles_fails_alone(db_session, worker) -> None:
    unknown = add(db_session, "test.nobody", "nobody-1")
    known = add(db_session, "test.record", "somebody-1", n=1)
    assert worker.run_once() == 1
    db_session.refresh(unknown)
    db_session.refresh(known)
    assert (unknown.status, unknown.attempts, known.status) == ("pending", 1, "done")


def test_the_outbox_imports_no_feature_and_no_mail() -> None:
    """Infrastructure: features register with it, never the other way round."""
    import ast
    from pathlib import Path

    import checkout.outbox

    imported = set()
    for path in Path(checkout.outbox.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.startswith("checkout.")}
    allowed = ("checkout.outbox", "checkout.core", "checkout.db", "checkout.dbtypes")
    assert {name for name in ours if not name.startswith(allowed)} == set()


def test_enqueue_all_adds_messages_in_one_go_and_skips_keys_already_queued(db_session) -> None:
    first = enqueue(db_session, "test.record", "many-1", {"n": 1})
    enqueue_all(db_session, "test.record", [("many-1", {"n": 10}), ("many-2", {"n": 2})])
    enqueue_all(db_session, "test.record", [])
    rows = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.like("many-%")).order_by(OutboxMessage.key)
    ).all()
    assert [(row.key, row.payload) for row in rows] == [("many-1", {"n": 1}), ("many-2", {"n": 2})]
    assert rows[0].id == first
    added = rows[1]
    assert (added.status, added.attempts, added.name) == ("pending", 0, "test.record")
    assert added.available_at is not None and added.created_at is not None
