"""Delivery and collection route optimisation (pure library on OR-Tools)."""

from routing.matrix import Haversine as Haversine
from routing.matrix import MatrixProvider as MatrixProvider
from routing.matrix import Osrm as Osrm
from routing.plan import Plan as Plan
from routing.plan import Reason as Reason
from routing.plan import Route as Route
from routing.plan import Stats as Stats
from routing.plan import Unserved as Unserved
from routing.plan import Visit as Visit
from routing.problem import Closure as Closure
from routing.problem import Depot as Depot
from routing.problem import Location as Location
from routing.problem import Matrices as Matrices
from routing.problem import Problem as Problem
from routing.problem import Stop as Stop
from routing.problem import StopKind as StopKind
from routing.problem import TimeWindow as TimeWindow
from routing.problem import Vehicle as Vehicle
from routing.problem import VehicleKind as VehicleKind
from routing.solve import Infeasible as Infeasible
from routing.solve import solve as solve
from routing.validate import InvalidPlan as InvalidPlan
from routing.validate import check as check
