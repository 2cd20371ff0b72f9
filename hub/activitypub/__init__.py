"""ActivityPub publishing: every node and hub is an actor that Mastodon or Mobilizon users follow.

One more format over the same data: the change log (hub/store/changes.py) stays the source of
truth, and the outbox and the deliveries are built from it. Only events are published (as
FEP-8a8e `Event` objects); no person or profile ever is.

    models       the tables: the key pair, followers, followed actors, the delivery queue
    keys         the instance's RSA key pair, made once and kept in the database
    signatures   HTTP Signatures (draft-cavage, rsa-sha256, with Digest), as Mastodon signs
    documents    WebFinger, the actor, NodeInfo, Event objects and activities
    outbox       the outbox collection and its pages, mirroring the change feed
    remote       remote actors fetched through the guarded fetcher, their keys cached
    inbox        Follow, Undo(Follow), Accept and the activities of followed actors
    delivery     the bounded queue of signed activities to followers' inboxes, and its worker
    errors       what the inbox refuses, as problem documents
"""
