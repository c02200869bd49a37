"""The test suite, a package: each module is imported as `tests.<dir>.<module>`, so basenames may repeat across
directories, and helpers are imported by that full name (`from tests.checkout import ROOT`)."""
