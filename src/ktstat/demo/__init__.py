"""The demo: synthetic firm-level inputs calibrated to the published figures."""
