"""What the package declares matches what it ships: the license, and the packaged scenarios."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata

from sim_helpers import ROOT


def test_license_file_is_the_license_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX: How to apply the Apache License" in text
    assert metadata("offduty")["License"] == declared


def test_every_scenario_in_the_checkout_is_packaged():
    from offduty_simulations.cli import packaged_scenarios

    assert set(packaged_scenarios()) == {p.stem for p in (ROOT / "simulations" / "scenarios").glob("*.toml")}
