"""How much one assignment form may hold: the one place the page forms, the API inputs and
the services read their limits from, so that the pages and the API accept the same things.

Short fields follow their database columns. Free text has no column limit (TextField); its
limit keeps the form's page and its PDF quick to render and is still far above what a real
交办单 carries.
"""

from __future__ import annotations

TITLE = 200  # Assignment.title, CaseThread.title
TEXT = 10_000  # summary, 交办意见, reasons, responses, feedback, notes, the call's content
POST_TEXT = 20_000  # the text of one source post, which people paste whole
SOURCE_TITLE = 300
PLATFORM = 50
AUTHOR = 100
PLACE = 200  # where an emergency release took place
CALLEE_NAME = 50
CALLEE_PHONE = 40
LEADERS = 200  # the city leaders a phoned-in emergency was reported to

MAX_SOURCES = 20  # source posts on one form
MAX_CO_UNITS = 30  # co-units of one matter (each gets its own form)
