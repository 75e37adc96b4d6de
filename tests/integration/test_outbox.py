"""The outbox: idempotent enqueue, retries with backoff, dead letters, leases, staff commands."""

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
from checkout.outbox.effects import ConcurrentPerformer
from checkout.outbox.models import OutboxMessage
from checkout.outbox.registry import Later, PermanentFailure, enqueue, enqueue_all, register
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


EFFECTS: list[object] = []


@register("test.later")
def _later(session, payload) -> Later:
    """A side effect for the worker to perform, then a write that records it."""

    def perform() -> None:
        if payload.get("fail"):
            raise ConnectionError("server said no")
        EFFECTS.append(payload["n"])

    def then() -> None:
        enqueue(session, "test.record", f"after-{payload['n']}", {})
        if payload.get("fail_then"):
            raise RuntimeError("could not record it")

    return Later(perform, then)


@register("test.note_session")
def _note_session(session, payload) -> None:
    SESSIONS.append(("note", session))


GROUP_CALLS: list[list[object]] = []


def _spawn_all(session, payloads) -> None:
    """Handles several messages at once: writes for each, then fails if one says so."""
    GROUP_CALLS.append([payload["n"] for payload in payloads])
    SESSIONS.append(("together", session))
    for payload in payloads:
        enqueue(session, "test.record", f"child-of-{payload['n']}", {"parent": payload["n"]})
    if any(payload.get("fail") for payload in payloads):
        raise ConnectionError("one of them failed")


register("test.together", alone=True, together=_spawn_all)(_spawn)


def _later_all(session, payloads) -> list[Later | None]:
    """Effects for several messages at once; None where a message has nothing to do."""
    GROUP_CALLS.append([payload["n"] for payload in payloads])
    return [None if payload.get("nothing") else _later(session, payload) for payload in payloads]


register("test.together_later", together=_later_all)(_later)


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


def test_side_effects_are_performed_after_the_handlers_and_then_recorded(
    db_session, worker
) -> None:
    EFFECTS.clear()
    messages = [
        add(db_session, "test.later", "later-0", n=0),
        add(db_session, "test.later", "later-1", n=1, fail=True),
        add(db_session, "test.later", "later-2", n=2, fail_then=True),
    ]
    assert worker.run_once() == 1
    assert EFFECTS == [0, 2]
    assert keys_like(db_session, "after-%") == ["after-0"]  # a failed record is rolled back
    outcomes = []
    for message in messages:
        db_session.refresh(message)
        outcomes.append((message.status, message.attempts, message.last_error))
    assert outcomes == [
        ("done", 0, None),
        ("pending", 1, "ConnectionError: server said no"),
        ("pending", 1, "RuntimeError: could not record it"),
    ]


def test_a_concurrent_performer_performs_a_batchs_effects_at_once() -> None:
    """Each effect waits for the others: performed one after the other, none would finish."""
    arrived = threading.Barrier(3, timeout=5)
    performer = ConcurrentPerformer(threads=3)

    def refuse() -> None:
        arrived.wait()
        raise PermanentFailure("address refused")

    try:
        outcomes = performer([arrived.wait, refuse, arrived.wait])
    finally:
        performer.close()
    assert [type(outcome) for outcome in outcomes] == [type(None), PermanentFailure, type(None)]


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


@pytest.mark.parametrize("threads", [0, -2, "four"])
def test_a_worker_refuses_a_send_thread_count_below_one(app, threads: object) -> None:
    app.config["OUTBOX_SEND_THREADS"] = threads
    with app.app_context():  # as the `flask` command gives every command
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 2  # a usage error, before any message is claimed
    assert "OUTBOX_SEND_THREADS must be a whole number of at least 1" in result.output


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


def test_a_failing_message_loses_its_own_writes_and_no_one_elses(db_session, worker) -> None:
    """Messages of one name share a transaction, each in a savepoint of its own."""
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
    assert len({id(session) for _name, session in SESSIONS}) == 1  # one transaction


def test_messages_of_different_names_run_in_different_transactions(db_session, worker) -> None:
    """A transaction keeps its locks to the end: one name's locks never wait on another's work."""
    SESSIONS.clear()
    for n in range(2):
        add(db_session, "test.spawn", f"mixed-spawn-{n}", n=f"mixed-{n}")
        add(db_session, "test.note_session", f"mixed-note-{n}")
    assert worker.run_once() == 4
    by_name: dict[str, set[int]] = {}
    for name, session in SESSIONS:
        by_name.setdefault(name, set()).add(id(session))
    assert [len(ids) for ids in by_name.values()] == [1, 1]
    assert by_name["spawn"].isdisjoint(by_name["note"])


def test_a_long_transaction_commits_and_goes_on_in_a_new_one(app, db_session, clock) -> None:
    """Past `transaction_seconds` the messages done so far commit; the rest run afterwards."""
    SESSIONS.clear()
    ticks = iter(range(0, 1000, 10))  # ten seconds pass between two looks at the timer
    settings = WorkerSettings(transaction_seconds=15)
    worker = Worker(
        get_database(app).session_factory,
        settings,
        name="w1",
        clock=clock,
        timer=lambda: float(next(ticks)),
    )
    for n in range(5):
        add(db_session, "test.note_session", f"long-{n}")
    assert worker.run_once() == 5
    sessions = [session for _name, session in SESSIONS]
    # started at 0: message 1 at 10 s, message 2 at 20 s is past 15: a new transaction
    assert [len({id(s) for s in sessions[i : i + 2]}) for i in (0, 2, 4)] == [1, 1, 1]
    assert len({id(session) for session in sessions}) == 3


def test_a_transaction_that_fails_to_commit_runs_its_messages_one_by_one(
    app, db_session, worker
) -> None:
    """Nothing of the failed transaction stands; each message runs again on its own."""
    SESSIONS.clear()
    failures = iter([False, True])  # the claim commits; the group's commit fails, later ones not

    def sessions():
        session = get_database(app).session_factory()

        @event.listens_for(session, "before_commit")
        def _refuse_once(session) -> None:
            if not session.in_nested_transaction() and next(failures, False):
                raise OperationalError("COMMIT", {}, ConnectionError("server went away"))

        return session

    worker.sessions = sessions
    for n in range(3):
        add(db_session, "test.spawn", f"commit-{n}", n=f"commit-{n}")
    assert worker.run_once() == 3
    assert keys_like(db_session, "child-of-commit-%") == [f"child-of-commit-{n}" for n in range(3)]
    assert len({id(session) for _name, session in SESSIONS}) == 4  # one for all, then one each


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


def test_a_group_handler_runs_a_transactions_messages_in_one_call(db_session, worker) -> None:
    GROUP_CALLS.clear()
    SESSIONS.clear()
    messages = [add(db_session, "test.together", f"together-{n}", n=f"t{n}") for n in range(3)]
    assert worker.run_once() == 3
    assert GROUP_CALLS == [["t0", "t1", "t2"]]
    assert [name for name, _session in SESSIONS] == ["together"]  # not the one-by-one handler
    assert keys_like(db_session, "child-of-t%") == ["child-of-t0", "child-of-t1", "child-of-t2"]
    for message in messages:
        db_session.refresh(message)
        assert (message.status, message.attempts) == ("done", 0)


def test_a_failing_group_handler_leaves_nothing_and_its_messages_run_one_by_one(
    db_session, worker
) -> None:
    """All or nothing: then each message alone, so the failure is its own message's."""
    GROUP_CALLS.clear()
    SESSIONS.clear()
    messages = [
        add(db_session, "test.together", f"apart-{n}", n=f"a{n}", fail=n == 1) for n in range(3)
    ]
    assert worker.run_once() == 2
    assert GROUP_CALLS == [["a0", "a1", "a2"]]
    # The group's writes were rolled back; each message then ran in a transaction of its own.
    assert keys_like(db_session, "child-of-a%") == ["child-of-a0", "child-of-a2"]
    assert [name for name, _session in SESSIONS] == ["together", "spawn", "spawn", "spawn"]
    assert len({id(session) for _name, session in SESSIONS[1:]}) == 3
    outcomes = []
    for message in messages:
        db_session.refresh(message)
        outcomes.append((message.status, message.attempts))
    assert outcomes == [("done", 0), ("pending", 1), ("done", 0)]


def test_a_group_handlers_effects_are_performed_and_fail_one_by_one(db_session, worker) -> None:
    GROUP_CALLS.clear()
    EFFECTS.clear()
    messages = [
        add(db_session, "test.together_later", "gl-0", n=0),
        add(db_session, "test.together_later", "gl-1", n=1, fail=True),
        add(db_session, "test.together_later", "gl-2", n=2, nothing=True),
        add(db_session, "test.together_later", "gl-3", n=3),
    ]
    assert worker.run_once() == 3
    assert GROUP_CALLS == [[0, 1, 2, 3]]
    assert EFFECTS == [0, 3]
    assert keys_like(db_session, "after-%") == ["after-0", "after-3"]
    outcomes = []
    for message in messages:
        db_session.refresh(message)
        outcomes.append((message.status, message.attempts))
    assert outcomes == [("done", 0), ("pending", 1), ("done", 0), ("done", 0)]


def test_a_single_message_of_a_group_handler_runs_through_the_plain_handler(
    db_session, worker
) -> None:
    GROUP_CALLS.clear()
    SESSIONS.clear()
    add(db_session, "test.together", "single-0", n="s0")
    assert worker.run_once() == 1
    assert GROUP_CALLS == []
    assert [name for name, _session in SESSIONS] == ["spawn"]


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
