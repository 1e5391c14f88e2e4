"""Terminal credentials in the format Mosquitto's password file reads.

Mosquitto 2 stores `username:$7$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA512
with base64 salt and hash. We keep the same string in the database so the
password file can be regenerated at any time; the clear password is shown
once, when the terminal is added, and never stored or logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 101  # mosquitto_passwd's default
SALT_BYTES = 12


def new_password() -> str:
    return secrets.token_urlsafe(18)


def hash_password(password: str, *, salt: bytes | None = None,
                  iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, kind, iterations, salt, digest = stored.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt),
                                     int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)
