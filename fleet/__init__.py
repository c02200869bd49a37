"""Configuration and release identity of fleet: plain Python, shared by the program and fleetctl."""
