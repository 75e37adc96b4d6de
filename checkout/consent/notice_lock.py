"""The notice lock: the SHA-256 of every notice text ever released, by office, purpose,
language and version (config/notices.lock).

The consent ledger cites a notice by version, so a text edited under an unchanged version would
make old evidence point at words the donor never saw. The database catches that when the text
is first used; this file catches it before anything is served: the app refuses to start when a
configured text differs from the one locked under its version. Entries are only ever added
(`flask --app wsgi consent lock-notices`), never rewritten, so old versions stay recorded after
they leave the offices file. Pure Python: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from checkout.core.errors import ConfigurationError
from checkout.offices import OfficeRegistry

Lock = dict[str, str]


def text_digest(text: str) -> str:
    """The SHA-256 of a notice text as stored in the ledger (UTF-8, hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


def lock_key(office: str, purpose: str, language: str, version: str) -> str:
    """`DE/data_transfer/de/2026-11-01`: one text of one notice version."""
    return f"{office}/{purpose}/{language}/{version}"


def configured_digests(registry: OfficeRegistry) -> Iterator[tuple[str, str]]:
    """(key, digest) of every notice text the offices file configures now."""
    for office in registry:
        for notice in office.notices.values():
            for language, text in notice.texts.items():
                yield (
                    lock_key(office.code, notice.purpose, language, notice.version),
                    text_digest(text),
                )


def read_lock(path: Path) -> Lock:
    """The lock file's entries; an absent file is an empty lock."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ConfigurationError(f"{path}: not valid JSON ({error})") from error
    entries = data.get("notices") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
    ):
        raise ConfigurationError(f'{path}: expected {{"notices": {{"KEY": "SHA-256", ...}}}}')
    return dict(entries)


def conflicts(registry: OfficeRegistry, lock: Mapping[str, str]) -> list[str]:
    """Every configured text that differs from the text locked under the same version."""
    return [
        key for key, digest in configured_digests(registry) if key in lock and lock[key] != digest
    ]


def unlocked(registry: OfficeRegistry, lock: Mapping[str, str]) -> list[str]:
    """Every configured text whose version the lock does not know yet."""
    return [key for key, _digest in configured_digests(registry) if key not in lock]


def check_lock(registry: OfficeRegistry, path: Path, *, require_complete: bool) -> None:
    """Refuse texts changed under a locked version; in production, unlocked ones too."""
    lock = read_lock(path)
    problems = [
        f"{key}: the text differs from the one released under this version; give the changed "
        "text a new version in the offices file"
        for key in conflicts(registry, lock)
    ]
    if require_complete:
        problems += [
            f"{key}: not in the notice lock; run `flask --app wsgi consent lock-notices`"
            for key in unlocked(registry, lock)
        ]
    if problems:
        raise ConfigurationError(f"{path}:\n  - " + "\n  - ".join(problems))


def locked(registry: OfficeRegistry, lock: Mapping[str, str]) -> Lock:
    """The lock with every new version added; a conflicting text is refused, never rewritten."""
    clashing = conflicts(registry, lock)
    if clashing:
        raise ConfigurationError(
            "texts changed under a released version: " + ", ".join(clashing) + "; give each a "
            "new version in the offices file"
        )
    merged = dict(lock)
    merged.update(configured_digests(registry))
    return dict(sorted(merged.items()))


def write_lock(path: Path, lock: Mapping[str, str]) -> None:
    """Write the lock as stable, reviewable JSON (sorted, one entry per line)."""
    body = {"notices": dict(sorted(lock.items()))}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
