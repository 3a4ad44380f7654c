"""Evaluate the purpose classifier on the shipped labelled set (`data/reasons_eval.csv`).

The set holds every distinct reason of the Eugene, OR log (real, all labelled not immigration; the
blank and "daytime search for best result" ones labelled no stated purpose) and constructed hard cases
(ICE as agency, drug and weather "ice", crimes against ICE's name, letters inside words, DHS as Human
Services, placeholders, immigration terms at each level). Labels follow the policy in docs/audit.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sharemap.audit.classify import Classifier, default_classifier

LEVELS = ("explicit", "likely", "ambiguous", "none")


@dataclass
class Evaluation:
    n: int
    by_source: dict[str, int]
    confusion: dict[str, dict[str, int]]  # gold level -> predicted level -> count
    explicit: dict[str, float]
    immigration: dict[str, float]  # explicit or likely, as one class
    category_accuracy: float | None
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def load_set(path: str | Path | None = None) -> list[dict[str, str]]:
    if path is None:
        text = resources.files("sharemap.audit").joinpath("data/reasons_eval.csv").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _pr(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "tp": tp, "fp": fp, "fn": fn}


def evaluate(rows: list[dict[str, str]] | None = None, classifier: Classifier | None = None) -> Evaluation:
    rows = rows if rows is not None else load_set()
    clf = classifier or default_classifier()
    confusion = {g: dict.fromkeys(LEVELS, 0) for g in LEVELS}
    by_source: dict[str, int] = {}
    tp = fp = fn = itp = ifp = ifn = 0
    cat_ok = cat_n = 0
    errors = []
    for row in rows:
        c = clf.classify(row["reason"])
        pred = c.level or "none"
        gold = row["gold_level"]
        confusion[gold][pred] += 1
        by_source[row["source"]] = by_source.get(row["source"], 0) + 1
        tp += gold == "explicit" and pred == "explicit"
        fp += gold != "explicit" and pred == "explicit"
        fn += gold == "explicit" and pred != "explicit"
        gi, pi = gold in ("explicit", "likely"), pred in ("explicit", "likely")
        itp += gi and pi
        ifp += pi and not gi
        ifn += gi and not pi
        if row.get("gold_category"):
            cat_n += 1
            cat_ok += c.category == row["gold_category"]
            if c.category != row["gold_category"] and pred == gold:
                errors.append(
                    {"reason": row["reason"], "gold": row["gold_category"], "predicted": c.category}
                )
        if pred != gold:
            errors.append({"reason": row["reason"], "gold": gold, "predicted": pred})
    return Evaluation(
        n=len(rows),
        by_source=by_source,
        confusion=confusion,
        explicit=_pr(tp, fp, fn),
        immigration=_pr(itp, ifp, ifn),
        category_accuracy=round(cat_ok / cat_n, 4) if cat_n else None,
        errors=errors,
    )


def confusion_markdown(ev: Evaluation) -> str:
    head = "| gold \\ predicted | " + " | ".join(LEVELS) + " | total |"
    lines = [head, "|---|" + "---:|" * (len(LEVELS) + 1)]
    for g in LEVELS:
        row = ev.confusion[g]
        lines.append(f"| {g} | " + " | ".join(str(row[p]) for p in LEVELS) + f" | {sum(row.values())} |")
    return "\n".join(lines)
