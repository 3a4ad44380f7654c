"""Digital twin of the identity-check pipeline (SYNTHETIC people): kernel, SimPy model, calibration."""
