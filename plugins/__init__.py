"""offduty's built-in plugins (installed as ``offduty_plugins``)."""
