"""The five built-in distribution methods, one plugin module each.

``immediate-release`` (:mod:`.immediate_release`), ``seniority`` (:mod:`.seniority`),
``sequencing`` (:mod:`.sequencing`), ``bidding`` (:mod:`.bidding`) and ``fairness``
(:mod:`.fairness`).  Each registers its method class through
``offduty_register_distribution_methods`` like a third-party plugin would, and documents its
parameters in its module docstring.  An agency picks one per job category in its spec's
``distribution`` field.
"""
