"""Mechanics of the world: timing, incidents, attribution, responses, norms, negotiation."""
