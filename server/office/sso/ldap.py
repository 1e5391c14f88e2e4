"""The LDAP / Active Directory bind: who typed this username and password, in the
institution's directory.

Search then bind: the entry is found by its login attribute (the typed name escaped, RFC
4515, so `*)(uid=*` is a name and never a filter), exactly one entry must match, and the
password is checked by binding as that entry. An empty password is refused before the
directory is asked: LDAP takes a simple bind without one as an anonymous bind, which
succeeds.
"""

from __future__ import annotations

import ssl

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from server.office.sso import SignInFailed
from server.office.sso.config import LdapSettings

MAX_CREDENTIAL = 256


class DirectoryUnavailable(SignInFailed):
    """The directory did not answer, or refused the service account."""


def ldap_identity(settings: LdapSettings, username: str, password: str) -> str | None:
    """The value of `settings.attribute` of the person these credentials name, or None
    when the directory does not know them (unknown name, wrong password, several entries).
    """
    username = username.strip()
    if not username or not password or len(username) > MAX_CREDENTIAL \
            or len(password) > MAX_CREDENTIAL or "\x00" in username + password:
        return None
    server = _server(settings)
    try:
        lookup = _connection(server, settings, settings.bind_dn, settings.bind_password)
        try:
            if not lookup.bound:
                raise _unavailable()
            query = f"({settings.login_attribute}={escape_filter_chars(username)})"
            lookup.search(settings.base_dn, query, SUBTREE, size_limit=2,
                          attributes=[settings.attribute])
            entries = list(lookup.entries)
        finally:
            lookup.unbind()
        if len(entries) != 1:
            return None
        entry = entries[0]
        person = _connection(server, settings, entry.entry_dn, password)
        accepted = bool(person.bound)
        person.unbind()
        values = entry[settings.attribute].values if settings.attribute in entry else []
        return str(values[0]) if accepted and values else None
    except LDAPException:
        raise _unavailable() from None


def _server(settings: LdapSettings) -> Server:
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_file,
              version=ssl.PROTOCOL_TLS_CLIENT)
    return Server(settings.url, use_ssl=settings.url.startswith("ldaps://"), tls=tls,
                  get_info=NONE, connect_timeout=settings.timeout)


def _connection(server: Server, settings: LdapSettings, user: str | None,
                password: str | None) -> Connection:
    """Opened, upgraded to TLS when configured, and bound (anonymously without `user`);
    a refused bind leaves `.bound` false rather than raising."""
    connection = Connection(server, user=user, password=password, read_only=True,
                            receive_timeout=settings.timeout, raise_exceptions=False)
    connection.open()
    if settings.start_tls and not connection.start_tls():
        raise _unavailable()
    connection.bind()
    return connection


def _unavailable() -> DirectoryUnavailable:
    return DirectoryUnavailable(
        "La directory dell'ente non risponde: riprova più tardi.",
        "The institution's directory does not answer: try again later.")
