"""The classroom exercise: students play actors of one shared world, the instructor runs
the crisis (``run.py class``; docs/classroom.md).
"""
