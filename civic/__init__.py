"""Residents' voice: problems followed to the end, contact days, consultations and
owners' votes, property repairs. Depends on ``community`` only; nothing depends on it.

Places (compounds, buildings, homes and their owners) and the organisations that
serve compounds (property companies, self-management groups, street departments)
are the ground every civic feature stands on: ``place_models`` and
``organisation_models``.
"""

from civic.contact_day_models import (  # noqa: F401  (tables for Alembic)
    ContactDay,
    ContactDayOrganisation,
    ContactDayTopic,
)
from civic.organisation_models import (  # noqa: F401  (tables for Alembic)
    Organisation,
    OrganisationCompound,
    OrganisationStaff,
)
from civic.place_models import Building, Compound, Home, HomeOwner  # noqa: F401
from civic.problem_models import (  # noqa: F401
    Problem,
    ProblemPhoto,
    ProblemStep,
    ProblemSupport,
)
from civic.repair_models import Repair, RepairPhoto  # noqa: F401, E402
