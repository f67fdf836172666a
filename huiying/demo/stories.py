"""Which form of the demo ends where, and when its story starts.

Between them the stories leave at least one form in every status, several overdue clocks,
multi-unit matters (lead unit and co-units), a reassignment, extensions, a refused relief
request, an amendment after signing, and two phone-assigned emergencies with their R3.6
milestones. Old stories count their steps in office hours from a working day in the past;
fresh ones count natural hours back from now, so their clocks are still running.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiying.cases.models import Status

S = Status


@dataclass(frozen=True)
class Target:
    """One unit's form of a matter and the status it should end in."""

    unit: str
    status: str
    late_sign: bool = False  # signed, but after the sign deadline
    late_feedback: bool = False  # feedback filed after the feedback deadline
    extension: str = ""  # "granted", "refused" or "pending"
    amend: bool = False  # 网信办 changes the issued content after the unit signed
    relief_refused: bool = False  # the unit asked to be relieved; 网信办 said no
    reassign_to: str = ""  # for REASSIGNED: the unit that gets the new form
    then: str = ""  # the status the reassigned new form ends in
    suggest: str = ""  # unit suggested in a relief request


@dataclass(frozen=True)
class Story:
    matter: str
    lead: Target
    co: tuple[Target, ...] = ()
    days_ago: int = 0  # working days back (office-hours pace) ...
    at: str = "09:10"
    hours_ago: float = 0  # ... or natural hours back (natural pace)


STORIES: tuple[Story, ...] = (
    # Multi-unit: the lead unit closed, the co-unit's feedback waits for review.
    Story(
        "elevator",
        Target("cc", S.CLOSED),
        (Target("zjj", S.FEEDBACK_FILED),),
        days_ago=14,
    ),
    # Responded, but the feedback deadline has passed (overdue).
    Story("noise", Target("tz", S.RESPONDED), days_ago=7, at="10:20"),
    # Multi-unit with three units; the police co-unit never signed (overdue).
    Story(
        "school_traffic",
        Target("hm", S.SIGNED),
        (Target("gaj", S.ISSUED), Target("jyj", S.RESPONDED)),
        days_ago=3,
        at="09:30",
    ),
    Story(
        "wages",
        Target("rg", S.REWORK),
        (Target("rsj", S.CLOSED),),
        days_ago=12,
        at="08:50",
    ),
    Story("seafood", Target("qd", S.FEEDBACK_FILED), days_ago=8, at="14:10"),
    # Issued six working days ago and never signed.
    Story("odor", Target("rd", S.ISSUED), days_ago=6, at="15:00"),
    # Signed, but no response by the reply deadline.
    Story("scales", Target("ha", S.SIGNED, late_sign=True), days_ago=6, at="09:40"),
    Story("discharge", Target("kfq", S.RELIEF_REQUESTED, suggest="cc"), days_ago=2, at="10:00"),
    Story(
        "bikes",
        Target("cgj", S.REASSIGNED, reassign_to="cc_cgj", then=S.RESPONDED),
        days_ago=5,
        at="11:00",
    ),
    Story("bus_route", Target("jtj", S.CLOSED), days_ago=20, at="09:20"),
    Story("medical_insurance", Target("ybj", S.CLOSED, late_feedback=True), days_ago=18),
    Story("kindergarten_fee", Target("jyj", S.RESPONDED), hours_ago=27),
    # The unit signed, then 网信办 amended the form: the signature shows it predates the change.
    Story("property_fee", Target("zjj", S.SIGNED, amend=True), days_ago=2, at="14:30"),
    Story("metro_rumor", Target("jtj", S.DRAFT), hours_ago=1.5),
    Story("langshan_parking", Target("wlj", S.IN_REVIEW), hours_ago=3),
    Story("hiring", Target("sip", S.RETURNED), hours_ago=20),
    Story("fishermen", Target("tzw", S.ISSUED), hours_ago=0.8),
    Story("enforcement_video", Target("cc", S.WITHDRAWN), days_ago=4, at="16:00"),
    Story("tap_water", Target("rg", S.CLOSED), days_ago=10, at="07:40"),
    # R5.2: "cannot yet be handled" is a valid feedback, and it was accepted.
    Story("homestay", Target("qd", S.CLOSED), days_ago=16, at="10:30"),
    Story("taxi", Target("ha", S.CLOSED), days_ago=11, at="15:20"),
    Story(
        "school_district",
        Target("cc", S.FEEDBACK_FILED, extension="granted"),
        days_ago=9,
        at="09:00",
    ),
    # An extension request waits for 网信办's decision.
    Story("housing_fund", Target("zjj", S.SIGNED, extension="pending"), days_ago=2, at="09:15"),
    Story("demolition", Target("tz", S.RESPONDED, relief_refused=True), days_ago=4, at="10:40"),
    Story("street_vendors", Target("cc_cgj", S.CLOSED), days_ago=13, at="14:00"),
    Story("gas_price", Target("jtj", S.DRAFT), hours_ago=26),
    Story("delivery_riders", Target("gaj", S.IN_REVIEW), hours_ago=5),
    Story("elderly_care", Target("mzj", S.ISSUED), hours_ago=2),
    Story(
        "fraud_call",
        Target("rsj", S.CLOSED),
        (Target("gaj", S.CLOSED, extension="refused"),),
        days_ago=15,
        at="10:00",
    ),
)
