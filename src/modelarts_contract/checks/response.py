"""The checks that run on every response the suite receives."""

from __future__ import annotations

from modelarts_contract.checks import bodies, filters, paging, plausibility, sorting, status

# Hold whatever credentials the request carried.
ANY_RESPONSE = (
    status.no_server_error,
    status.documented_status,
    bodies.content_type,
    bodies.success_body,
    bodies.error_body,
    plausibility.plausible_groups,
    plausibility.unique_groups,
)

# Hold for a request made with the configured credentials on the configured project.
CONFIGURED_REQUEST = (
    *ANY_RESPONSE,
    status.configured_credentials_accepted,
    status.validity_decides_status,
    paging.window,
    paging.size,
    paging.pages,
    paging.current,
    filters.groups_satisfy_filters,
    sorting.data_in_requested_order,
)
