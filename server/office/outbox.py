"""Delivering the notifications' e-mails: the outbox sender.

A notification whose recipient has an address waits as `pending`. `deliver` takes the due
ones one at a time: it claims the row (its next attempt moved ten minutes on, in a short
transaction: two senders never take the same row, on PostgreSQL or SQLite), sends it and
marks it `sent`. SMTP down: the row stays pending, its attempt counted and the next one put
off (1, 2, 4 … minutes, at most six hours); after `MAX_ATTEMPTS` it is `failed`, its last
error kept. A crash between the server's "250 OK" and the commit sends that one mail again
once the claim lapses: at least once, and exactly once whenever the sender survives its round.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from server.db.models import User
from server.db.notifications import Notification
from server.i18n.current import N_, gettext, use_locale
from server.office.notifications import text_of
from server.office.password_reset import SPENT_LINK, spend_links
from server.settings import SmtpSettings

MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=6)
TIMEOUT_S = 20
LEASE = timedelta(minutes=10)  # a claimed row's other senders wait this long
# Refusals of one message; any other error means the server itself is out of reach.
# The line under the text, by kind; the others say where to see it.
FOOTERS = {"password_reset": N_("Choose the new password here: %(link)s")}
SEE_IT = N_("Open timbra to see it: %(link)s")
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                   smtplib.SMTPDataError)


@dataclass(frozen=True)
class Delivery:
    sent: int
    retrying: int  # failed this round, tried again later
    failed: int  # given up this round


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver(engine: Engine, smtp: SmtpSettings, *, now: datetime | None = None,
            limit: int = 200) -> Delivery:
    """Send the e-mails due now, at most `limit`; each outcome committed on its own."""
    now = now or datetime.now(UTC)
    sent = retrying = failed = 0
    connection: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            claimed = _claim(engine, now)
            if claimed is None:
                break
            with Session(engine) as session, session.begin():
                row = session.get(Notification, claimed)
                assert row is not None  # claimed: nobody deletes a notification
                try:
                    connection = connection or _connect(smtp)
                    connection.send_message(_message(session, row, smtp))
                except OSError as error:  # smtplib's errors are OSErrors
                    _drop(connection)
                    connection = None
                    if _failed(row, error, now):
                        failed += 1
                    else:
                        retrying += 1
                    if not isinstance(error, MESSAGE_REFUSED):
                        break  # the server is unreachable: the others wait for it too
                    continue
                row.email_state, row.sent_at, row.attempts = "sent", now, row.attempts + 1
                spend_links(session, notification_id=row.id)  # the mail holds the only copy
                sent += 1
    finally:
        _drop(connection)
    return Delivery(sent, retrying, failed)


def _claim(engine: Engine, now: datetime) -> int | None:
    """Take the next due row for this sender: its next attempt moved past the lease in a
    short transaction of its own, so a second sender skips it and no lock is held while
    the mail server answers. A sender that dies holding it leaves it to the lease's end."""
    with Session(engine) as session, session.begin():
        for _ in range(20):  # another sender may take a candidate first: take the next
            candidate = session.scalar(
                select(Notification.id).where(Notification.email_state == "pending",
                                              Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id).limit(1)
                .with_for_update(skip_locked=True))
            if candidate is None:
                return None
            taken = session.execute(update(Notification).where(
                Notification.id == candidate, Notification.email_state == "pending",
                Notification.next_attempt_at <= now).values(next_attempt_at=now + LEASE))
            if getattr(taken, "rowcount", 0) == 1:
                return candidate
    return None


def _failed(row: Notification, error: Exception, now: datetime) -> bool:
    """Count the attempt; True when it was the last one."""
    row.attempts += 1
    row.last_error = f"{error.__class__.__name__}: {error}"[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.email_state, row.next_attempt_at = "failed", None
        if row.kind == "password_reset":  # never sent: nobody may use its link now
            row.link = SPENT_LINK
        return True
    row.next_attempt_at = now + backoff(row.attempts)
    return False


def _message(session: Session, row: Notification, smtp: SmtpSettings) -> EmailMessage:
    user = session.get(User, row.user_id)
    assert user is not None and user.email  # pending only with an address
    with use_locale(user.language):
        text = text_of(row)
        footer = gettext(FOOTERS.get(row.kind, SEE_IT), link=smtp.public_url + row.link)
    message = EmailMessage()
    message["From"], message["To"] = smtp.sender, user.email
    message["Subject"] = f"timbra: {text}"[:200]
    message["Message-ID"] = f"<notification-{row.id}@timbra>"  # a resend is the same mail
    message.set_content(f"{text}\n\n{footer}\n")
    return message


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    connection = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_S)
    if smtp.starttls:
        connection.starttls(context=ssl.create_default_context())
    if smtp.user and smtp.password:
        connection.login(smtp.user, smtp.password)
    return connection


def _drop(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
