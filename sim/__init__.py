"""Cyber diplomacy: an agent-based model of norms, incidents, attribution and responses.

The public entry points are :class:`sim.model.CyberDiplomacyModel` (a Mesa model),
:func:`sim.scenario.load_scenario` and :func:`sim.run.simulate`.
"""

__version__ = "0.1.0"
