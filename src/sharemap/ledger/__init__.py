"""The ledger of real 287(g) agreements, built from ICE's published lists and MOA PDFs."""
