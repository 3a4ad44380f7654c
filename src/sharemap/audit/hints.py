"""The audit's options as its messages name them: in words every surface can show.

Errors, notes and notices of the audit never name a command-line flag or a web form field (the same
message reaches the CLI, the web page and /api/audit). Where a message suggests an option, it uses
one of the phrases below; each surface rewords it with `reword`: the CLI appends its flag
(`sharemap.cli.audit`), the web says what to do on the form or instead (`sharemap.web.upload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sharemap.audit.schema import AuditResult

PHRASES: dict[str, str] = {
    "encoding": "give the file's text encoding (for example latin-1 or cp1252)",
    "retention_days": "give a retention limit in days",
    "state": "give the state whose data was searched",
    "sheet": "name the worksheet",
    "hidden_sheets": "allow hidden worksheets",
    "max_issues": "raise the limit of problem rows listed",
    "mapping": "a column mapping for other logs",
}
"""Option -> the phrase messages use for it (the option names are those of `AuditOptions`)."""

ENCODING = PHRASES["encoding"]
RETENTION = PHRASES["retention_days"]
STATE = PHRASES["state"]
SHEET = PHRASES["sheet"]
HIDDEN_SHEETS = PHRASES["hidden_sheets"]
MAX_ISSUES = PHRASES["max_issues"]
MAPPING = PHRASES["mapping"]


def reword(text: str | None, words: Mapping[str, str]) -> str | None:
    """`text` with each option phrase replaced by a surface's `words` for it (option -> words)."""
    if not text:
        return text
    for option, phrase in PHRASES.items():
        if option in words and phrase in text:
            text = text.replace(phrase, words[option])
    return text


def reword_result(result: AuditResult, words: Mapping[str, str]) -> AuditResult:
    """A copy of `result` with the messages of the audit itself reworded (file notes, notices, read
    issues, the law's reasons); never the log's own text (reasons, names), which is left as it is."""
    out = result.model_copy(deep=True)
    for f in out.files:
        f.notes = [reword(n, words) or "" for n in f.notes]
    out.notices = [reword(n, words) or "" for n in out.notices]
    for issue in out.issues:
        issue.message = reword(issue.message, words) or ""
    for finding in out.findings:
        if finding.law is not None:
            finding.law.why = reword(finding.law.why, words) or ""
    return out
