"""Distribution methods (seniority, sequencing, bidding, fairness, immediate release)."""
