"""The six kinds of actors, one module each."""

from sim.agents.company import Company
from sim.agents.mission import DiplomaticMission
from sim.agents.organization import InternationalOrganization
from sim.agents.state import State
from sim.agents.think_tank import ThinkTank
from sim.agents.threat_actor import ThreatActor

__all__ = [
    "Company",
    "DiplomaticMission",
    "InternationalOrganization",
    "State",
    "ThinkTank",
    "ThreatActor",
]
