"""Who listens to which domain events: the one list of outbox consumers.

A consumer is a name (its deliveries are tracked under it: rename it and it starts afresh),
the topics it hears (exact, ``prefix.*`` or ``*``) and a handler ``handler(event) -> None``
given by dotted path. Handlers must be idempotent on ``event.pk``; see huiying/common/outbox.py.

Topics written today:
  assignment.<action>      every step of a form's life (issued, signed, responded, …)
  clock.due_soon / clock.missed   a deadline about to pass / passed (written by the clock sweep)
  item.collected           a batch of new items stored by collection
  watch.matched            a new item matched an open 24-hour watch
  notify.request           a notice for people (payload: huiying/notify/consumers.py)
"""

from __future__ import annotations

OUTBOX_CONSUMERS: dict[str, dict[str, object]] = {
    # A checkpoint of the audit chain outside the database once a form's content is fixed
    # (huiying/common/checkpoints.py); the worker also writes one every 5 minutes.
    "audit.checkpoint": {
        "topics": [
            "assignment.issue",
            "assignment.amend",
            "assignment.backfill",
            "assignment.sign",
        ],
        "handler": "huiying.common.checkpoints.on_event",
    },
    # The 24-hour watch's people are alerted in the app (R2.3).
    "monitoring.watch_alerts": {
        "topics": ["watch.matched"],
        "handler": "huiying.monitoring.consumers.watch_alerts",
    },
    # Notices to people: the in-app inbox and their outside channels (huiying/notify).
    "notify.requests": {
        "topics": ["notify.request"],
        "handler": "huiying.notify.consumers.on_request",
    },
    # Items of a large batch become searchable (a small batch is indexed as it is stored).
    "monitoring.search_index": {
        "topics": ["item.collected"],
        "handler": "huiying.monitoring.consumers.search_index",
    },
    # New items are analysed, grouped into events and put on the triage desk (研判台).
    "analysis.items": {
        "topics": ["item.collected"],
        "handler": "huiying.analysis.consumers.items_collected",
    },
    # What the monitor kept of a drafted proposal, as training data and the acceptance rate.
    "analysis.proposals": {
        "topics": ["assignment.submit", "assignment.withdraw"],
        "handler": "huiying.analysis.consumers.proposal_settled",
    },
    # A new or redefined source is polled at once (R2.1).
    "monitoring.poll_new_source": {
        "topics": ["source.poll_now"],
        "handler": "huiying.monitoring.consumers.poll_new_source",
    },
}
