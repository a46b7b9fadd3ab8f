"""Settings for asgiref's conformance suite, shared by the in-memory and Redis runs."""

# The small expiry / capacity the suite's timing tests need.
SUITE_CONFIG = {"expiry": 1, "group_expiry": 2, "capacity": 5}
