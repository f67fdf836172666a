from django.dispatch import Signal

# Sent after the transaction of a form change commits: kwargs assignment_id, action, actor_id.
# Supervision and notification listen here; the core does not know who watches it.
assignment_changed = Signal()
