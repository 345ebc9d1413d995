"""Problems' codes in the reader's language: categories, urgency, status, steps."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from civic.problem_models import ProblemCategory, ProblemStatus, StepKind, Urgency
from community.audit_labels import register_status_labels
from community.notifications import register_param_formatter

CATEGORY_LABELS = {
    ProblemCategory.ROAD: _l("Roads and paths"),
    ProblemCategory.DRAINS: _l("Drains and sewers"),
    ProblemCategory.LIGHTING: _l("Lights"),
    ProblemCategory.WALLS: _l("Walls and stairwells"),
    ProblemCategory.LIFTS: _l("Lifts"),
    ProblemCategory.SAFETY: _l("Safety"),
    ProblemCategory.HYGIENE: _l("Rubbish and hygiene"),
    ProblemCategory.NOISE: _l("Noise and neighbours"),
    ProblemCategory.ELDER_CARE: _l("Care of elders"),
    ProblemCategory.OTHER: _l("Something else"),
}

URGENCY_LABELS = {
    Urgency.URGENT: _l("Urgent: danger or no water, light or lift"),
    Urgency.SOON: _l("Soon: within a week"),
    Urgency.NORMAL: _l("Normal: within a month"),
}

SHORT_URGENCY_LABELS = {
    Urgency.URGENT: _l("Urgent"),
    Urgency.SOON: _l("Soon"),
    Urgency.NORMAL: _l("Normal"),
}

STATUS_LABELS = {
    ProblemStatus.REPORTED: _l("Waiting for the community"),
    ProblemStatus.ACCEPTED: _l("Accepted by the community"),
    ProblemStatus.IN_PROGRESS: _l("Being dealt with"),
    ProblemStatus.CLOSED: _l("Said to be fixed: waiting for the reporter"),
    ProblemStatus.CONFIRMED: _l("Fixed"),
    ProblemStatus.DECLINED: _l("Not taken up"),
    ProblemStatus.MERGED: _l("Followed with the same problem"),
}

STEP_LABELS = {
    StepKind.REPORTED: _l("Reported"),
    StepKind.ACCEPTED: _l("Accepted by the community"),
    StepKind.DECLINED: _l("Not taken up"),
    StepKind.MERGED: _l("Merged into the same problem"),
    StepKind.MERGED_IN: _l("The same problem reported again was merged here"),
    StepKind.ANSWERED: _l("Answered: work started"),
    StepKind.CLOSED: _l("Said to be fixed"),
    StepKind.CONFIRMED: _l("Confirmed fixed"),
    StepKind.AUTO_CONFIRMED: _l("Counted as fixed: no answer in 7 days"),
    StepKind.REOPENED: _l("Not fixed: reopened"),
}


def category_label(code: str) -> str:
    """A category code in words; an unknown code as it is."""
    label = CATEGORY_LABELS.get(code)  # type: ignore[call-overload]
    return str(label) if label is not None else code


def register_filters(app: Flask) -> None:
    """Let notices, the audit log and the templates show problems' codes in words."""
    register_param_formatter("problem_category", category_label)
    register_status_labels("problem", STATUS_LABELS)
    app.add_template_filter(category_label, "problem_category")
    app.add_template_filter(lambda code: str(URGENCY_LABELS.get(code, code)), "problem_urgency")
    app.add_template_filter(
        lambda code: str(SHORT_URGENCY_LABELS.get(code, code)), "problem_urgency_short"
    )
    app.add_template_filter(lambda code: str(STATUS_LABELS.get(code, code)), "problem_status")
    app.add_template_filter(lambda code: str(STEP_LABELS.get(code, code)), "problem_step")
