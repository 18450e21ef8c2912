"""offduty core: jobs, shifts, events, money, calendars, ledgers and the hook specs.

The core knows no agency by name; agencies are plugins.  A plugin writes::

    from offduty_core import hookimpl
"""

from .errors import InputError, OffdutyError, PluginError, Refusal
from .hookspecs import hookimpl, hookspec
from .plugins import Registry, default_registry, get_plugin_manager

__all__ = [
    "InputError",
    "OffdutyError",
    "PluginError",
    "Refusal",
    "Registry",
    "default_registry",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
]
__version__ = "0.1.0"
