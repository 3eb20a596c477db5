"""Validation: the contract's row checks (Great Expectations), quarantine and the dq tables."""
