"""Passwords of people who log in: argon2 hashes, one-time passwords, the institution's policy.

The policy comes from the institution's rule file in force today, the one an administrator
activated or else the plugin's (`password { min_length 8 require digit require letter }`,
seed 000); an institution whose rules say nothing gets timbra's default, which is no weaker
than the strictest seed.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_at
from server.errors import Busy

HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106) parameters
# Argon2 accepts any length; a cap keeps one request from costing minutes of CPU.
MAX_LENGTH = 256
# No 0/O, 1/l/I: a one-time password is read off a screen or a sheet of paper.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Each argon2 hash takes 64 MiB for a quarter of a second: forty anonymous logins at once
# took the server from 149 to 534 MiB. At most this many run at once; a request that
# cannot get a slot within WAIT_FOR_SLOT_S is told to come back (503), not queued.
MAX_HASHING = 4
WAIT_FOR_SLOT_S = 3.0
_SLOTS = threading.BoundedSemaphore(MAX_HASHING)


@contextmanager
def hashing_slot() -> Iterator[None]:
    if not _SLOTS.acquire(timeout=WAIT_FOR_SLOT_S):
        raise Busy("Troppe richieste in questo momento: riprova tra qualche secondo",
                   "Too many requests right now: try again in a few seconds")
    try:
        yield
    finally:
        _SLOTS.release()


def hash_password(password: str) -> str:
    with hashing_slot():
        return HASHER.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with weaker parameters than today's: replace it at the next login."""
    return HASHER.check_needs_rehash(password_hash)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing user still pays for one verification."""
    if len(password) > MAX_LENGTH:
        return False
    with hashing_slot():
        try:
            return HASHER.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a wrong username costs the same
    time as a wrong password and does not tell which usernames exist. Made on first use:
    hashing costs a quarter of a second, too much for every CLI start."""
    return HASHER.hash("timbra-no-such-user")


def one_time_password() -> str:
    """Twelve characters with a digit and a letter, so every institution's policy accepts it."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


# What a rule file may `require` (the checker's `PASSWORD_REQUIREMENTS`: a key missing here
# would be accepted in the file and never enforced), in the words shown to the person.
# Digits and letters are ASCII: "²", "٣" or "Ⅻ" pass str.isdigit/isupper but are not what
# the rule means, and a keyboard at the terminal or a colleague's would not type them.
_NEEDS: dict[str, tuple[str, str, Callable[[str], bool]]] = {
    "digit": ("una cifra (0-9)", "a digit (0-9)", lambda c: c in string.digits),
    "letter": ("una lettera (a-z)", "a letter (a-z)", lambda c: c in string.ascii_letters),
    "uppercase": ("una maiuscola (A-Z)", "an upper-case letter (A-Z)",
                  lambda c: c in string.ascii_uppercase),
    "symbol": ("un simbolo", "a symbol", lambda c: not c.isalnum()),
}


@dataclass(frozen=True)
class PasswordRules:
    min_length: int
    require: tuple[str, ...]  # keys of _NEEDS
    source: str  # where it is written: `chamber.rules:227`, or "timbra default"

    def describe(self) -> str:
        """The rules in plain words, Italian then English, for the change-password page."""
        it = f"Almeno {self.min_length} caratteri"
        en = f"At least {self.min_length} characters"
        needs = [_NEEDS[r] for r in self.require if r in _NEEDS]
        if needs:
            it += ", con " + " e ".join(n[0] for n in needs)
            en += ", with " + " and ".join(n[1] for n in needs)
        return f"{it}. / {en}."

    def problems(self, password: str, username: str) -> list[str]:
        """What is wrong with `password`, one sentence each, Italian / English."""
        found: list[str] = []
        if len(password) < self.min_length:
            found.append(f"Troppo corta: servono almeno {self.min_length} caratteri. / "
                         f"Too short: at least {self.min_length} characters.")
        if len(password) > MAX_LENGTH:
            found.append(f"Troppo lunga (massimo {MAX_LENGTH}). / Too long (at most {MAX_LENGTH}).")
        for need in self.require:
            if need in _NEEDS and not any(_NEEDS[need][2](c) for c in password):
                found.append(f"Manca {_NEEDS[need][0]}. / It needs {_NEEDS[need][1]}.")
        if password.casefold() == username.casefold():
            found.append("Non può essere uguale al nome utente. / It cannot be the username.")
        return found


DEFAULT_RULES = PasswordRules(min_length=10, require=("digit", "letter"), source="timbra default")


def password_rules(session: Session, institution_id: str, now: datetime) -> PasswordRules:
    """The password rules in force for the institution at `now`, on its local date."""
    try:
        policy, day = policy_at(session, institution_id, now)
        written = policy.version_on(day).password
    except LookupError:  # no rules at all, or none in force yet
        written = None
    if written is None:
        return DEFAULT_RULES
    length = written.min_length.value if written.min_length else DEFAULT_RULES.min_length
    return PasswordRules(min_length=length, require=tuple(r.value for r in written.require),
                         source=f"{Path(written.pos.file).name}:{written.pos.line}")
