"""The marketplace's fixtures (a verified provider, its items, localstripe), for the glue's
tests too."""

from tests.marketplace.conftest import (  # noqa: F401  (fixtures)
    localstripe,
    make_item,
    make_provider,
    provider,
    provider_owner,
    stripe_app,
)
