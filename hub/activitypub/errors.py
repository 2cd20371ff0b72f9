"""What the inbox refuses, as problem documents (hub/errors.py is the tree these join).

Unauthorized (401)
+-- SignatureRefused   401 unsigned, badly signed, stale (Date too far from now), or a Digest that does
                           not match the body: the sender's server retries or drops it
HubError
+-- UnreadableActivity 400 not JSON, or no ActivityStreams activity
+-- BodyTooLarge       413 more than HUB_ACTIVITYPUB_INBOX_MAX_BYTES
"""

from __future__ import annotations

from hub.errors import HubError, Unauthorized


class SignatureRefused(Unauthorized):
    type_slug = "signature-refused"
    title = "Signature refused"


class UnreadableActivity(HubError):
    status = 400
    type_slug = "unreadable-activity"
    title = "Unreadable activity"


class BodyTooLarge(HubError):
    status = 413
    type_slug = "body-too-large"
    title = "Body too large"
