"""Single sign-on: an institution's own identity provider vouches for who is logging in
(OpenID Connect, SAML 2, an LDAP/AD bind), and `identities.sign_in` maps that identity to
the institution's timbra user. Local passwords stay for the accounts the office creates.

| module | what |
|---|---|
| `config` | the `TIMBRA_SSO_FILE` settings, one block per institution |
| `identities` | identity → user, refusals and audit, optional provisioning |
| `oidc`, `saml`, `ldap` | the three protocols, each giving the identity's value |
"""

from server.errors import OfficeError


class SignInFailed(OfficeError):
    """The identity provider's answer cannot be trusted or used, or it did not answer."""


def sign_in_failed(reason: str) -> SignInFailed:
    return SignInFailed(f"Accesso con le credenziali di Ateneo non riuscito ({reason}).",
                        f"Sign-in with the institution's credentials failed ({reason}).")
