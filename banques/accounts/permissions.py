"""The one permission mechanism: who may do what, and on whose objects.

Two questions, always in this order:

1. *Can this principal see the object?* Objects belong to an organisation of a bank.
   Users see their own organisation's; coordinators (and observers) their bank's;
   platform admins everything. An object one may not see is answered **404**, so ids
   never leak across organisations.
2. *May this role perform this action?* ``GRANTS`` lists, for each action, the roles
   allowed. A visible object with a forbidden action is answered **403**.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true

from banques.accounts.models import OrganisationKind, Role
from banques.errors import Forbidden, NotFound


class Scope(StrEnum):
    organisation = "organisation"
    bank = "bank"
    platform = "platform"


class Action(StrEnum):
    bank_read = "bank:read"
    bank_create = "bank:create"
    organisation_read = "organisation:read"
    organisation_create = "organisation:create"
    user_read = "user:read"
    user_create = "user:create"
    apikey_manage = "apikey:manage"
    device_read = "device:read"
    device_register = "device:register"
    scan_apply = "scan:apply"
    conflict_read = "conflict:read"
    conflict_resolve = "conflict:resolve"
    label_print = "label:print"


R = Role
_ALL = frozenset(Role)
_STAFF = frozenset({R.technician, R.driver, R.collector, R.coordinator, R.admin})

GRANTS: dict[Action, frozenset[Role]] = {
    Action.bank_read: _ALL,
    Action.bank_create: frozenset({R.admin}),
    Action.organisation_read: _ALL,
    Action.organisation_create: frozenset({R.coordinator, R.admin}),
    Action.user_read: frozenset({R.coordinator, R.admin}),
    Action.user_create: frozenset({R.coordinator, R.admin}),
    Action.apikey_manage: _ALL - {R.observer},
    Action.device_read: _STAFF | {R.school_staff, R.donor},
    Action.device_register: frozenset(
        {R.technician, R.collector, R.coordinator, R.admin}
    ),
    Action.scan_apply: frozenset(
        {R.technician, R.driver, R.collector, R.school_staff, R.coordinator, R.admin}
    ),
    Action.conflict_read: _STAFF,
    Action.conflict_resolve: frozenset({R.technician, R.coordinator, R.admin}),
    Action.label_print: frozenset({R.technician, R.collector, R.coordinator, R.admin}),
}

ROLE_SCOPE: dict[Role, Scope] = {
    R.admin: Scope.platform,
    R.coordinator: Scope.bank,
    R.observer: Scope.bank,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user (token or API key), one role in one organisation."""

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_kind: OrganisationKind
    bank_id: uuid.UUID
    role: Role

    @property
    def scope(self) -> Scope:
        return ROLE_SCOPE.get(self.role, Scope.organisation)

    def may(self, action: Action) -> bool:
        return self.role in GRANTS[action]

    def sees(
        self, *, bank_id: uuid.UUID, organisation_ids: tuple[Any, ...] = ()
    ) -> bool:
        """Whether an object of this bank, held by any of these organisations, is
        visible. An object with no organisation is visible bank-wide."""
        scope = self.scope
        if scope is Scope.platform:
            return True
        if bank_id != self.bank_id:
            return False
        if scope is Scope.bank or not organisation_ids:
            return True
        return self.organisation_id in organisation_ids


def authorize(principal: Principal, action: Action) -> None:
    """Raise 403 unless the principal's role may perform ``action``."""
    if not principal.may(action):
        raise Forbidden(
            f"Votre rôle ({principal.role.value}) ne permet pas cette action."
        )


def ensure_visible(
    principal: Principal,
    *,
    bank_id: uuid.UUID,
    organisation_ids: tuple[Any, ...] = (),
    what: str = "Ressource",
) -> None:
    """Raise 404 when the object is not the principal's to see."""
    if not principal.sees(bank_id=bank_id, organisation_ids=organisation_ids):
        raise NotFound(f"{what} introuvable.")


def scope_clause(
    principal: Principal,
    *,
    bank_col: Any,
    organisation_cols: tuple[Any, ...] = (),
) -> ColumnElement[bool]:
    """A SQL filter keeping only the rows the principal may see (for lists)."""
    scope = principal.scope
    if scope is Scope.platform:
        return true()
    clause: ColumnElement[bool] = bank_col == principal.bank_id
    if scope is Scope.bank or not organisation_cols:
        return clause
    from sqlalchemy import or_

    owned = or_(
        false(), *(col == principal.organisation_id for col in organisation_cols)
    )
    return clause & owned
