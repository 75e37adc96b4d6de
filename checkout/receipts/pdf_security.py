"""The PDF standard security handler, revision 4 with AES-128, for write-protected receipts.

ISO 32000-1, 7.6.3: the document is encrypted with an empty user password (anyone can open,
print and copy it) and an owner password nobody keeps, and carries permission flags that
forbid changing it. The key computations (algorithms 2, 3 and 5) follow the standard; the
RC4 they take runs in C (the `cryptography` package), as does AES. Metadata streams are not
encrypted (a receipt has none; /EncryptMetadata false lets indexers read them if one ever
does), which the key computation takes into account.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES128

#: Algorithm 2, step (a): what pads a password to 32 bytes (and is the empty one).
PADDING: Final = (
    b"\x28\xbf\x4e\x5e\x4e\x75\x8a\x41\x64\x00\x4e\x56\xff\xfa\x01\x08"
    b"\x2e\x2e\x00\xb6\xd0\x68\x3e\x80\x2f\x0c\xa9\xfe\x64\x53\x69\x7a"
)
#: The bits of P that revision 3 and up require set, whatever is permitted (Table 22).
_ALWAYS_SET: Final = 0xFFFFF0C0
_KEY_BYTES: Final = 16  # AES-128


@dataclass(frozen=True, slots=True)
class Protection:
    """What a PDF allows: `permissions` (ISO 32000-1 Table 22 bits), under an owner password."""

    owner_password: str
    permissions: int


class Encryption:
    """One document's encryption: its key, the O and U values, and the per-object cipher."""

    def __init__(self, protection: Protection, file_id: bytes) -> None:
        """Keys for the document whose /ID starts with `file_id` (16 bytes)."""
        self.p = _signed(_ALWAYS_SET | protection.permissions)
        self.o = _owner_value(_padded(protection.owner_password))
        self.key = _file_key(self.o, self.p, file_id)
        digest = hashlib.md5(PADDING + file_id, usedforsecurity=False).digest()
        user = _rc4_passes(self.key, digest)
        # 16 more bytes that readers ignore ("arbitrary padding"); fpdf2 derives them so
        self.u = user + bytes(a ^ b for a, b in zip(user, PADDING, strict=False))

    def encrypt(self, number: int, data: bytes) -> bytes:
        """Algorithm 1 for AES: `data` of object `number` (generation 0), IV first."""
        seed = self.key + number.to_bytes(3, "little") + b"\x00\x00sAlT"
        key = hashlib.md5(seed, usedforsecurity=False).digest()
        iv = os.urandom(16)
        pad = 16 - len(data) % 16  # PKCS#7, always at least one byte
        encryptor = Cipher(AES128(key), modes.CBC(iv)).encryptor()
        return iv + encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()

    def dictionary(self) -> str:
        """The encryption dictionary (Table 20, 21 and 25)."""
        return (
            "<</Filter /Standard /V 4 /R 4 /Length 128"
            " /CF <</StdCF <</Type /CryptFilter /CFM /AESV2 /AuthEvent /DocOpen /Length 16>>>>"
            " /StmF /StdCF /StrF /StdCF /EncryptMetadata false"
            f" /O <{self.o.hex().upper()}> /U <{self.u.hex().upper()}> /P {self.p}>>"
        )


def _padded(password: str) -> bytes:
    """Algorithm 2, step (a): the first 32 bytes of the password, padded."""
    encoded = password.encode("latin-1")[:32]
    return encoded + PADDING[: 32 - len(encoded)]


def _signed(value: int) -> int:
    """A 32-bit pattern as the signed integer the P entry holds."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


@lru_cache(maxsize=8)
def _owner_value(owner: bytes) -> bytes:
    """Algorithm 3 for the padded owner password and the empty user password (kept: a process
    uses one owner password, so this runs once)."""
    digest = owner
    for _ in range(51):  # MD5 once, then 50 times more (revision 3 and up)
        digest = hashlib.md5(digest, usedforsecurity=False).digest()
    return _rc4_passes(digest[:_KEY_BYTES], PADDING)


def _file_key(o: bytes, p: int, file_id: bytes) -> bytes:
    """Algorithm 2 for the empty user password, metadata not encrypted."""
    seed = PADDING + o + (p & 0xFFFFFFFF).to_bytes(4, "little") + file_id + b"\xff" * 4
    key = hashlib.md5(seed, usedforsecurity=False).digest()
    for _ in range(50):
        key = hashlib.md5(key, usedforsecurity=False).digest()
    return key[:_KEY_BYTES]


def _rc4_passes(key: bytes, data: bytes) -> bytes:
    """RC4 with `key`, then with each byte of `key` XOR 1, 2, ... 19 (algorithms 3 and 5)."""
    for n in range(20):
        cipher = Cipher(ARC4(bytes(byte ^ n for byte in key)), mode=None)
        data = cipher.encryptor().update(data)
    return data
