"""Reading and checking an org's policy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from heardback.hiring.models import Org
from heardback.promises.models import OrgPolicy, PastCapAction

EDITABLE_FIELDS = [
    "max_silence_days",
    "min_gap_days",
    "nudge_lead_hours",
    "grace_hours",
    "extension_business_days",
    "extension_cap",
    "past_cap_action",
    "decline_delay_business_days",
    "close_out_undo_hours",
]


def get_policy(*, org: Org) -> OrgPolicy:
    policy, _created = OrgPolicy.objects.get_or_create(org=org)
    return policy


def shortest_stage_promise(*, org: Org) -> tuple[int, str] | None:
    """The shortest promise any stage of this org makes: (business days, "Job: stage")."""
    from heardback.hiring.models import Stage

    stage = (
        Stage.objects.filter(org=org)
        .select_related("pipeline")
        .order_by("promise_business_days", "id")
        .first()
    )
    if stage is None:
        return None
    return stage.promise_business_days, f"{stage.pipeline.name}: {stage.name}"


def validate_policy(
    values: dict[str, Any], *, shortest_promise: tuple[int, str] | None = None
) -> None:
    """Reject settings that can't all be kept at once, with a message per field.

    The minimum gap between automated updates must fit inside every promise and every
    automatic extension; otherwise the honest update owed at a missed promise would be held
    back by the gap and the promise broken.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    silence = values["max_silence_days"]
    gap = values["min_gap_days"]
    if not 2 <= silence <= 30:
        add("max_silence_days", "Choose between 2 and 30 days.")
    if not 1 <= gap <= 14:
        add("min_gap_days", "Choose between 1 and 14 days.")
    if gap >= silence:
        add(
            "min_gap_days",
            f"The minimum gap ({gap} days) must be shorter than the max-silence window "
            f"({silence} days), or an update could never be sent in time.",
        )
    if not 1 <= values["nudge_lead_hours"] <= 168:
        add("nudge_lead_hours", "Choose between 1 and 168 hours.")
    if not 0 <= values["grace_hours"] <= 72:
        add("grace_hours", "Choose between 0 and 72 hours.")
    if not 1 <= values["extension_business_days"] <= 10:
        add("extension_business_days", "Choose between 1 and 10 business days.")
    if not 0 <= values["extension_cap"] <= 5:
        add("extension_cap", "Choose between 0 and 5 extensions.")
    if values["extension_business_days"] < gap:
        add(
            "extension_business_days",
            f"An automatic extension must be at least the minimum gap ({gap} days), or the "
            "next honest update could not be sent when it is due.",
        )
    if shortest_promise is not None and shortest_promise[0] < gap:
        days, where = shortest_promise
        add(
            "min_gap_days",
            f"The stage “{where}” promises an answer within {days} business day(s); the "
            f"minimum gap can't be longer than the shortest promise.",
        )
    if values["past_cap_action"] not in PastCapAction.values:
        add("past_cap_action", "Choose escalate or decline.")
    if not 0 <= values["decline_delay_business_days"] <= 5:
        add("decline_delay_business_days", "Choose between 0 and 5 business days.")
    if not 0 <= values["close_out_undo_hours"] <= 168:
        add("close_out_undo_hours", "Choose between 0 and 168 hours.")
    if errors:
        raise ValidationError(errors)


def policy_values(policy: OrgPolicy) -> dict[str, Any]:
    return {field: getattr(policy, field) for field in EDITABLE_FIELDS}
