"""The seed agencies: one module per published rate sheet, each one ``AgencySpec`` value.

They are registered through the ``offduty`` entry-point group (pyproject.toml), as a third
party's agency is; none needs a hook beyond ``offduty_agency``.
"""
