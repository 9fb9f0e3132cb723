"""Signed unsubscribe links: the person withdraws without signing in, and an altered link is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from accord.errors import Invalid
from accord.kernel.vocabulary import CHANNELS, CONSENT_PURPOSES

_CONTEXT = b"accord:unsubscribe:v1:"  # keeps these signatures apart from any other use of the secret


def _sign(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), _CONTEXT + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsubscribe_token(secret: str, contact_id: int, purpose: str, channel: str) -> str:
    """A token naming who withdraws what, signed with the installation's secret."""
    payload = json.dumps([contact_id, purpose, channel], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "." + _sign(secret, payload)


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str, str]:
    """(contact id, purpose, channel) from a token, or Invalid when it was altered or forged."""
    body, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise Invalid("token", "this link is damaged; ask for a new one") from None
    if not signature or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise Invalid("token", "this link was altered or not issued by us; nothing was changed")
    contact_id, purpose, channel = json.loads(payload)
    if not isinstance(contact_id, int) or purpose not in CONSENT_PURPOSES or channel not in CHANNELS:
        raise Invalid("token", "this link names nothing we know")
    return contact_id, purpose, channel
