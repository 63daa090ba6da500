"""The device lifecycle as one declarative table (pure Python, no I/O).

::

    registered → collected → received → diagnosed → wiped → refurbished → ready
      → allocated → in_transit → delivered → handed_over
    side exits: cancelled (from registered), recycled (from received/diagnosed/wiped),
                lost (from any active state), returned (from handed_over; re-enters at
                received)
    allocated → ready (de-allocation); in_transit → ready (failed delivery)

Each transition names its from-states, the roles allowed, the custody rule and the
payload it must carry (``banques.devices.schemas``). Guards that need data (an
erasure record before leaving the workshop, the allocated school at delivery) are
checked by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from banques.accounts.models import OrganisationKind, Role


class State(StrEnum):
    registered = "registered"
    collected = "collected"
    received = "received"
    diagnosed = "diagnosed"
    wiped = "wiped"
    refurbished = "refurbished"
    ready = "ready"
    allocated = "allocated"
    in_transit = "in_transit"
    delivered = "delivered"
    handed_over = "handed_over"
    cancelled = "cancelled"
    recycled = "recycled"
    lost = "lost"
    returned = "returned"


FINAL = frozenset({State.cancelled, State.recycled, State.lost})
ACTIVE = frozenset(State) - FINAL
# States in which the device has left the workshop: an erasure record is required.
OUTSIDE_WORKSHOP = frozenset(
    {State.allocated, State.in_transit, State.delivered, State.handed_over}
)


class Custody(StrEnum):
    """Who may scan, and what happens to custody.

    - ``holder``: only the custodian organisation scans; custody stays.
    - ``take``: an organisation of an allowed kind in the device's bank takes the
      device (collection, reception at the workshop): it becomes the custodian.
    - ``hand_to_school``: the custodian hands it to the school named in the payload,
      which becomes the custodian (delivery).
    - ``holder_or_coordinator``: the custodian, or a coordinator of the bank.
    """

    holder = "holder"
    take = "take"
    hand_to_school = "hand_to_school"
    holder_or_coordinator = "holder_or_coordinator"


@dataclass(frozen=True)
class Transition:
    to_state: State
    from_states: frozenset[State]
    roles: frozenset[Role]
    custody: Custody
    takers: frozenset[OrganisationKind] = frozenset()
    summary: str = ""


R = Role
S = State
K = OrganisationKind


def _t(
    to: State,
    sources: set[State],
    roles: set[Role],
    custody: Custody,
    summary: str,
    takers: set[OrganisationKind] | None = None,
) -> Transition:
    return Transition(
        to,
        frozenset(sources),
        frozenset(roles),
        custody,
        frozenset(takers or ()),
        summary,
    )


TRANSITIONS: dict[State, Transition] = {
    t.to_state: t
    for t in [
        _t(S.collected, {S.registered}, {R.collector, R.driver, R.technician},
           Custody.take, "collecté chez le donateur", {K.eco_organisme, K.association}),
        _t(S.received, {S.collected, S.returned}, {R.technician},
           Custody.take, "reçu à l'atelier", {K.association}),
        _t(S.diagnosed, {S.received}, {R.technician}, Custody.holder,
           "diagnostiqué"),
        _t(S.wiped, {S.diagnosed}, {R.technician}, Custody.holder,
           "données effacées (un enregistrement par support)"),
        _t(S.refurbished, {S.wiped}, {R.technician}, Custody.holder,
           "reconditionné (test fonctionnel complet)"),
        _t(S.ready, {S.refurbished, S.allocated, S.in_transit},
           {R.technician, R.driver, R.coordinator}, Custody.holder_or_coordinator,
           "prêt à être attribué"),
        _t(S.allocated, {S.ready}, {R.technician, R.coordinator},
           Custody.holder_or_coordinator, "attribué à un établissement"),
        _t(S.in_transit, {S.allocated}, {R.driver, R.technician}, Custody.holder,
           "chargé dans un véhicule"),
        _t(S.delivered, {S.in_transit}, {R.driver}, Custody.hand_to_school,
           "livré à l'établissement"),
        _t(S.handed_over, {S.delivered}, {R.school_staff}, Custody.holder,
           "remis à l'élève"),
        _t(S.returned, {S.handed_over}, {R.school_staff}, Custody.holder,
           "rendu par l'élève"),
        _t(S.cancelled, {S.registered}, {R.technician, R.collector, R.coordinator},
           Custody.holder_or_coordinator, "annulé avant collecte"),
        _t(S.recycled, {S.received, S.diagnosed, S.wiped}, {R.technician},
           Custody.holder, "recyclé (filière DEEE)"),
        _t(S.lost, set(ACTIVE), {R.technician, R.driver, R.collector,
           R.school_staff, R.coordinator}, Custody.holder_or_coordinator,
           "perdu ou volé"),
    ]
}  # fmt: skip


class IllegalTransition(Exception):
    """The transition is not in the table from this state."""

    def __init__(self, current: State, target: State) -> None:
        super().__init__(f"{current.value} → {target.value}")
        self.current = current
        self.target = target


def transition_to(current: State, target: State) -> Transition:
    """The table entry for ``current → target``, or IllegalTransition."""
    entry = TRANSITIONS.get(target)
    if entry is None or current not in entry.from_states:
        raise IllegalTransition(current, target)
    return entry


def replay(targets: list[State]) -> State:
    """The state reached from ``registered`` by applying ``targets`` in order."""
    state = State.registered
    for target in targets:
        transition_to(state, target)
        state = target
    return state
