"""The year simulator (installed as ``offduty_simulations``)."""
