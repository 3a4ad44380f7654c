"""Identity matching engines on SYNTHETIC data: biometric 1:N search (faiss) and name/DOB matching."""
