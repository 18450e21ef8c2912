"""The year simulator (installed as ``offduty_simulations``).

Param -> Model -> Runner -> DataFrame:

``scenario``   validated, frozen scenario parameters from TOML (``simulations/scenarios/``)
``demand``     a year of requests and vendor changes, one random stream per source
``fill``       the only bridge to the core's job lifecycle (``offduty_core.lifecycle.JobBoard``)
``model``      the SimPy model: arrivals, officers looking/answering/working, vendors, payments
``outputs``    tidy frames (shifts, officers, ledger) and summary.json from the records
``runner``     one pure replication function; sweeps on a process pool or Dask
``calibrate``  demand parameters fitted from an agency's past job log
``erlang``     the check against Erlang's loss formula
``cli``        ``offduty simulate | sweep | calibrate | scenario``
"""
