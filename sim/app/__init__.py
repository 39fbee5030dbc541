"""The classroom app: a Mesa SolaraViz page with plotly views (see docs/app.md).

Importing :mod:`sim` never imports this package; only ``run.py viz`` and the tests do.
"""
