"""The experiment runner: batches of runs described in one TOML file.

Split by concern, like EMA Workbench's ``em_framework``:

- :mod:`experiments.spec`: experiment files -> a validated :class:`~experiments.spec.Experiment`
- :mod:`experiments.designs`: samplers (grid, Latin hypercube, Sobol/Saltelli, Morris)
- :mod:`experiments.seeds`: one root seed -> every run's seed (numpy SeedSequence)
- :mod:`experiments.runner`: one run -> a row of outcomes and its time series
- :mod:`experiments.evaluators`: where runs execute (local process pool, Dask distributed)
- :mod:`experiments.storage`: the batch folder, streamed and crash-safe
- :mod:`experiments.analysis`: confidence intervals, paired differences, Sobol, Morris
- :mod:`experiments.charts`, :mod:`experiments.report`: plotly figures and report.html
- :mod:`experiments.batch`: plan, run and resume a batch; :mod:`experiments.cli`: commands
"""
