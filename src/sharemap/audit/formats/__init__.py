"""Log formats: which columns of which export mean which field of the access-event schema.

Built-in formats are detected from the header: the plate-reader vendor's network audit and
organisation audit exports, and its transparency-portal search log. Other logs (DMV, Nlets, jail
release notifications) are read through a YAML column mapping (`load_mapping`).
"""

from sharemap.audit.formats.spec import BUILTIN_FORMATS, FormatSpec, detect_format, load_mapping

__all__ = ["BUILTIN_FORMATS", "FormatSpec", "detect_format", "load_mapping"]
