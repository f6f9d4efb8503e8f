"""Reading the token out of an ``Authorization`` header, for the REST API and git HTTP.

GitHub accepts a token as ``token X``, ``Bearer X`` or HTTP Basic with the token as the
password (any user name), or as the user name with the password ``x-oauth-basic`` or
none (the form AoD's credential store writes); git clients use the Basic form, usually
through ``http.extraHeader``.
"""

from __future__ import annotations

import base64
import binascii


def token_from_authorization(header: str | None) -> str | None:
    """The token carried by an ``Authorization`` header, or None if it carries none."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        if password in ("", "x-oauth-basic"):
            return user or None
        return password
    return None
