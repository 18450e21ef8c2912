"""`offduty new-agency` writes a package that installs, is discovered, and passes its own
tests untouched; no golden is recorded from its placeholder rates (the traffic test skips
until the rates are filled in); once recorded, a rule change fails the golden test with a
readable money diff."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from offduty_core.cli import main
from offduty_core.errors import InputError
from offduty_core.scaffold import SKIP_MESSAGE, create

PLUGIN = "offduty_agency_springfield_il"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The scaffolded package, built and installed into a private --target folder (the test
    environment itself is not changed)."""
    base = tmp_path_factory.mktemp("scaffold")
    assert main(["new-agency", "springfield-il", "--dir", str(base)]) == 0
    root = base / "offduty-agency-springfield-il"
    site = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(root)],
                   check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(site))
    return root, env


def run(args, cwd, env):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_package_layout(package):
    root, _ = package
    built = ("build/", "offduty_agency_springfield_il.egg-info/")  # left by pip's in-tree build
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                   if p.is_file() and not str(p.relative_to(root)).startswith(built) and "__pycache__" not in str(p))
    # No golden file: nothing is recorded from placeholder rates.
    assert names == ["README.md", "conftest.py", f"{PLUGIN}.py", "pyproject.toml", f"tests/test_{PLUGIN}.py"]
    assert 'springfield-il = "offduty_agency_springfield_il"' in (root / "pyproject.toml").read_text()


def test_module_is_one_spec_with_placeholder_rates(package):
    from tests.test_hooks import spec_names

    text = (package[0] / f"{PLUGIN}.py").read_text()
    assert text.count("SPEC = AgencySpec(") == 1
    assert "PLACEHOLDER_RATES = True" in text and "TODO: fill from the rate sheet" in text
    assert "@hookimpl\ndef offduty_agency() -> AgencySpec:\n" in text and "return SPEC" in text
    # Every optional field of the spec is shown, commented out, with an example.
    for field in ("extras", "holidays", "minimum_hours", "notice", "supervisor", "prohibited", "prohibited_dates",
                  "cancellation", "rate_splits", "caps", "terms", "distribution", "qualifications"):
        assert f"    # {field}=" in text, field
    # The other hooks are listed (commented out) with the arguments they take.
    for name in spec_names():
        assert f"def {name}(" in text
        if name != "offduty_agency":
            assert f"# def {name}(" in text


def test_installed_plugin_is_listed_with_its_distribution(package):
    root, env = package
    result = run(["-m", "offduty_core.cli", "agencies"], root, env)
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("springfield-il"))
    assert "America/Chicago" in line and "offduty-agency-springfield-il 0.1.0" in line
    check = run(["-m", "offduty_core.cli", "check-agency", "springfield-il", "--strict"], root, env)
    assert check.returncode == 0, check.stdout


def test_package_passes_its_own_tests_untouched(package):
    root, env = package
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"], root, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 1 skipped" in result.stdout
    # The golden test says why it skips and what to do; it records nothing.
    assert SKIP_MESSAGE in " ".join(result.stdout.split())
    assert not (root / "tests" / "goldens").exists()


def test_regen_with_placeholder_rates_records_nothing(package, tmp_path):
    root, env = package
    copy = tmp_path / "pkg"
    subprocess.run(["cp", "-r", str(root), str(copy)], check=True)
    env = dict(env, PYTHONPATH=f"{copy}{os.pathsep}{env['PYTHONPATH']}")
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic", "--offduty-regen"], copy, env)
    assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout
    assert not (copy / "tests" / "goldens").exists()


def test_filled_rates_record_goldens_then_a_rate_change_fails_with_a_readable_diff(package, tmp_path):
    root, env = package
    copy = tmp_path / "pkg"
    subprocess.run(["cp", "-r", str(root), str(copy)], check=True)
    module = copy / f"{PLUGIN}.py"
    # The author copies the rate sheet and clears the placeholder marker.
    module.write_text(module.read_text().replace("PLACEHOLDER_RATES = True", "PLACEHOLDER_RATES = False"))
    env = dict(env, PYTHONPATH=f"{copy}{os.pathsep}{env['PYTHONPATH']}")
    missing = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic"], copy, env)
    assert missing.returncode == 1 and "run pytest --offduty-regen" in missing.stdout, missing.stdout
    first = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic", "--offduty-regen"], copy, env)
    assert first.returncode == 0 and "1 passed" in first.stdout, first.stdout
    assert (copy / "tests" / "goldens" / f"test_{PLUGIN}" / "test_traffic_money_is_unchanged.json").exists()
    module.write_text(module.read_text().replace('total="55.00", share="50.00"', 'total="56.00", share="50.00"'))
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic"], copy, env)
    assert result.returncode == 1
    out = result.stdout
    assert "money moved against test_traffic_money_is_unchanged.json" in out
    assert "total vendor:" in out
    assert "~ vendor slot 0 (officer): Regular hours [springfield-il:rate.regular]" in out
    assert "x 55.00 =" in out and "x 56.00 =" in out
    regen = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic", "--offduty-regen"], copy, env)
    assert regen.returncode == 0, regen.stdout
    again = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "traffic"], copy, env)
    assert again.returncode == 0, again.stdout


def test_refuses_to_overwrite_and_needs_a_zone(tmp_path):
    create("springfield-il", tmp_path)
    with pytest.raises(InputError, match="already exists"):
        create("springfield-il", tmp_path)
    with pytest.raises(InputError, match="--timezone"):
        create("springfield", tmp_path)
    root = create("springfield", tmp_path, timezone="Europe/London")
    assert "Europe/London" in (root / "offduty_agency_springfield.py").read_text()
