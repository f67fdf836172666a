"""The analysis pipeline's codes (R3.3-1 … R3.4-3, I … IV) and the form's categories."""

from __future__ import annotations

from huiying.cases.models import EMERGENCY_CATEGORIES, Category, ReplyChannel, Severity

CODE_TO_CATEGORY: dict[str, str] = {
    "R3.3-1": Category.POLICY,
    "R3.3-2": Category.VITAL_INTEREST,
    "R3.3-3": Category.IMAGE,
    "R3.3-4": Category.COMPLAINT,
    "R3.3-5": Category.MORALITY,
    "R3.3-6": Category.MEDIA_EXPOSURE,
    "R3.3-7": Category.LEADER_INSTRUCTION,
    "R3.4-1": Category.EMERGENCY_INCIDENT,
    "R3.4-2": Category.EMERGENCY_MASS,
    "R3.4-3": Category.EMERGENCY_HAZARD,
}
CATEGORY_TO_CODE = {v: k for k, v in CODE_TO_CATEGORY.items()}
SEVERITIES = tuple(Severity.values)  # "I" … "IV"
# Lower is graver; no severity sorts after IV.
SEVERITY_RANK = {"I": 1, "II": 2, "III": 3, "IV": 4, "": 5}


def category_from_code(code: object) -> str:
    return CODE_TO_CATEGORY.get(str(code), "") if code else ""


def severity_from_code(code: object) -> str:
    return str(code) if code in SEVERITIES else ""


def is_emergency(category: str) -> bool:
    return category in EMERGENCY_CATEGORIES


def is_alarming(category: str, severity: str) -> bool:
    """R3.4 classes and severity I/II are told to the people on duty at once."""
    return is_emergency(category) or severity in {"I", "II"}


def reply_channel_for(category: str) -> str:
    """The reply form proposed for a category: emergencies are answered by authoritative
    releases on the government's own accounts, everything else where it was raised."""
    if is_emergency(category):
        return ReplyChannel.GOV_MEDIA
    if category == Category.POLICY:
        return ReplyChannel.GOV_MEDIA
    return ReplyChannel.SAME_PLATFORM
