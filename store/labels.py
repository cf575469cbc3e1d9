"""The label ids from shared/design/labels.md, and the domain's fixed vocabularies.

Training data, the classifiers and the store all use exactly these names; keep this the one copy.
"""

from __future__ import annotations

from typing import Final

CASE_TYPES: Final = ("complaint", "compliment", "comment", "question")

SUBJECT_CATEGORIES: Final = (
    "protection_of_user",
    "communication",
    "staff_conduct",
    "service_standards",
    "financial",
    "physical_environment",
    "discrimination",
    "policy",
    "commissioned_service",
    "outside_process",
)

SERVICES: Final = (
    "childrens_initial_response",
    "childrens_team",
    "fostering",
    "adoption",
    "disabled_children",
    "leaving_care",
    "early_help",
    "school_admissions",
    "sendar",
    "eleven_plus",
    "school_transport",
    "education_other",
    "crt",
)

# The one service label several teams share: the area Children's Team is chosen from the case's place names.
AREA_ROUTED_SERVICE: Final = "childrens_team"

# The three things a classifier suggests for each case, and the labels each may take.
HEADS: Final = {"type": CASE_TYPES, "subject_category": SUBJECT_CATEGORIES, "service": SERVICES}

CHANNELS: Final = ("web_chat", "email", "phone", "letter", "in_person")

# Who is raising it: decides the procedure together with the service.
COMPLAINANT_ROLES: Final = ("young_person", "parent_carer", "foster_carer", "professional", "other")

OUTCOMES: Final = ("upheld", "partially_upheld", "not_upheld")

REMEDIES: Final = (
    "explanation_provided",
    "service_provided",
    "apology",
    "change_in_process",
    "financial_remedy",
    "change_of_policy",
)

# Themes the annual report groups lessons learned by.
LESSON_THEMES: Final = (
    "communication",
    "organisation_process",
    "social_work_practice",
    "training",
    "application_delays",
    "website_information",
    "policy_review",
    "no_lesson",
)
