"""Accuracy of the sentiment model: on tweets of another source or year, and in-domain.

    python bench/accuracy.py [--data-dir ../shared/data]            # both tables
    python bench/accuracy.py --transfer-only [--levers]              # what the product optimises
    python bench/accuracy.py --tasks s140,semeval,deft --no-transfer # in-domain CV only
    python bench/accuracy.py --mixing-only [--folds 5] [--en-rows N] [--char-below 60000]

**Transfer** (what the product optimises): the model is trained as the product trains it
(``fit_model``) on one source or period and scored on another that it never saw and that no
choice of the recipe looked at:

* Sentiment140 (100k, emoticon labels) -> the human-labelled positive and negative tweets of
  SemEval 2013-2016 and of the airline set (two labels: macro recall, i.e. the accuracy of a
  test set balanced like Sentiment140's own test set);
* SemEval 2013-2015 -> SemEval 2016 (a later year, as the SemEval-2017 test is), 3 labels;
* SemEval 2013-2016 -> the airline tweets, 3 labels;
* DEFT-2017 French train -> DEFT-2017 validation split.

``--levers`` adds each lever's effect on the same protocol (C chosen by in-domain
cross-validation as the previous recipe did, C x4 and /4, no lexicon prior, character n-grams
at every size, and the model fitted on retrain's training split only, without the tweets
retrain holds out); ``--lever NAME`` runs the product recipe and that lever only. The results
go into docs/accuracy.md.

**In-domain** 5-fold stratified cross-validation on each training file (Sentiment140 accuracy;
SemEval and DEFT macro recall), with a reliability table of the out-of-fold probabilities; and
the check that one model trained on French and English together scores each language as well as
separate models do. ``--quick`` uses 3 folds and subsamples the large sets. The data folder is
optional: without it the script says so and exits successfully.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import shlex
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, recall_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docsection import replace_section

from sentiment.ml import train as product_train
from sentiment.ml.data import evaluation_mask, text_hash
from sentiment.ml.features import build_vectorizer
from sentiment.ml.train import fit_model, make_classifier, regularisation

SEED = 0
FILES = {
    "s140": ["sentiment140_train_100k"],
    "semeval": ["semeval2017_train"],
    "deft": ["deft2017_fr_train", "deft2017_fr_val"],
}
TITLES = {"s140": "Sentiment140 pos/neg", "semeval": "SemEval-2017 4A", "deft": "DEFT-2017 fr"}
QUICK_ROWS = 20_000
# SENTIMENT_EVAL_FRACTION's default: the share of annotated tweets retrain holds out.
EVAL_FRACTION = 0.2
FIXED_C = 1.0  # the language levers compare features at one C
DOC = Path(__file__).resolve().parents[1] / "docs" / "accuracy.md"


def read_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load(data_dir: Path, task: str, rows: int | None = None) -> tuple[list[str], np.ndarray]:
    """A task's tweets and labels, shuffled (seed 0), the first ``rows`` of them if given."""
    records = [r for name in FILES[task] for r in read_csv(data_dir / f"{name}.csv.gz")]
    # Sentiment140 comes as two contiguous blocks: shuffle before any subsample or split.
    order = np.random.RandomState(SEED).permutation(len(records))[:rows]
    return [records[i]["text"] for i in order], np.array(
        [records[i]["label"] for i in order], dtype=object
    )


def folds(y: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(StratifiedKFold(n, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


def take(texts: list[str], idx: np.ndarray) -> list[str]:
    return [texts[i] for i in idx]


def cv_product(texts: list[str], y: np.ndarray, n_folds: int) -> dict:
    """Out-of-fold predictions of the full product training (vectorizer, calibration, fit)."""
    proba, pred, cs, secs = None, np.empty(len(y), dtype=object), [], []
    for train, test in folds(y, n_folds):
        result = fit_model(take(texts, train), y[train])
        p = result.classifier.predict_proba(result.vectorizer.transform(take(texts, test)))
        if proba is None:
            proba, classes = np.zeros((len(y), p.shape[1])), result.classifier.classes_
        proba[test] = p
        pred[test] = classes[p.argmax(axis=1)]
        cs.append(result.C)
        secs.append(result.seconds)
    per_fold = [recall_score(y[te], pred[te], average="macro") for _, te in folds(y, n_folds)]
    return {
        "acc": accuracy_score(y, pred),
        "macro_recall": float(np.mean(per_fold)),
        "sd": float(np.std(per_fold)),
        "C": cs,
        "fit_s": float(np.mean(secs)),
        "proba": proba,
        "pred": pred,
    }


def reliability(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> tuple[str, float]:
    """Confidence bins of the top class vs observed accuracy, and the expected calibration
    error (ECE: bin-size-weighted mean |confidence - accuracy|)."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    lines = ["| confidence | tweets | mean confidence | accuracy |", "|---|---|---|---|"]
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence >= lo) & (confidence < hi)
        if mask.any():
            conf, acc = confidence[mask].mean(), correct[mask].mean()
            ece += mask.mean() * abs(conf - acc)
            lines.append(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {mask.sum()} | {conf:.3f} | {acc:.3f} |")
    return "\n".join(lines), float(ece)


def char_ngrams_below(limit: int):
    """``build_vectorizer`` with character n-grams kept for training sets under ``limit``."""

    def build(n_samples: int, n_jobs: int = 1):
        vectorizer = build_vectorizer(n_samples, n_jobs=n_jobs)
        if n_samples < limit and not vectorizer.char_ngrams:
            vectorizer.set_params(char_ngrams=(2, 5), char_min_df=2)
        return vectorizer

    return build


def fit_with(build, texts: list[str], y: np.ndarray):
    """``fit_model`` with another vectorizer recipe (the product's when ``build`` is None)."""
    if build is None:
        return fit_model(texts, y)
    product_build = product_train.build_vectorizer
    product_train.build_vectorizer = build
    try:
        return fit_model(texts, y)
    finally:
        product_train.build_vectorizer = product_build


def language_mixing(data_dir: Path, n_folds: int, en_rows: int | None, char_below: int) -> str:
    """Per-language macro recall of one French+English model vs one model per language.

    Fold i of DEFT and fold i of SemEval train together (the mixed model) or apart (one
    model per language); each model is scored on the held-out fold of each language. With
    ``char_below``, a second mixed model keeps character n-grams (the product drops them
    from 20k training tweets on, and DEFT + SemEval is above that). Returns Markdown."""
    fr_texts, fr_y = load(data_dir, "deft")
    en_texts, en_y = load(data_dir, "semeval", en_rows)
    kinds = {"alone": "trained on its language alone", "mixed": "trained on French + English"}
    if char_below:
        kinds["mixed+char"] = (
            f"French + English, character n-grams kept (under {char_below:,} tweets)"
        )
    scores: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, set] = {kind: set() for kind in ("fr", "en", "mixed")}
    t0 = time.monotonic()
    pairs = zip(folds(fr_y, n_folds), folds(en_y, n_folds), strict=True)
    for fold, ((fr_tr, fr_te), (en_tr, en_te)) in enumerate(pairs, 1):
        fr_train, en_train = take(fr_texts, fr_tr), take(en_texts, en_tr)
        mixed_texts = fr_train + en_train
        mixed_y = np.concatenate([fr_y[fr_tr], en_y[en_tr]])
        sizes["fr"].add(len(fr_tr))
        sizes["en"].add(len(en_tr))
        sizes["mixed"].add(len(mixed_texts))
        models = {"alone": (fit_model(fr_train, fr_y[fr_tr]), fit_model(en_train, en_y[en_tr]))}
        mixed = fit_model(mixed_texts, mixed_y)
        models["mixed"] = (mixed, mixed)
        if char_below:
            # Below 20k tweets the product recipe already has character n-grams.
            if build_vectorizer(len(mixed_texts)).char_ngrams:
                mixed_char = mixed
            else:
                mixed_char = fit_with(char_ngrams_below(char_below), mixed_texts, mixed_y)
            models["mixed+char"] = (mixed_char, mixed_char)
        line = []
        for kind, (fr_model, en_model) in models.items():
            for lang, model, texts, y, te in (
                ("fr", fr_model, fr_texts, fr_y, fr_te),
                ("en", en_model, en_texts, en_y, en_te),
            ):
                pred = model.classifier.predict(model.vectorizer.transform(take(texts, te)))
                score = recall_score(y[te], pred, average="macro")
                scores.setdefault((lang, kind), []).append(score)
                line.append(f"{lang} {kind} {score:.4f} (C={model.C:g})")
        print(
            f"fold {fold}/{n_folds}, {time.monotonic() - t0:.0f}s: " + ", ".join(line), flush=True
        )

    def size(key: str) -> str:
        return "/".join(f"{n:,}" for n in sorted(sizes[key]))

    lines = [
        f"| test language | {' | '.join(kinds.values())} | delta mixed - alone (sd over folds) "
        "| folds where mixed is lower |",
        "|---|" + "---|" * (len(kinds) + 2),
    ]
    for lang, name in (("fr", "French (DEFT-2017)"), ("en", "English (SemEval-2017)")):
        means = [float(np.mean(scores[(lang, kind)])) for kind in kinds]
        delta = np.array(scores[(lang, "mixed")]) - np.array(scores[(lang, "alone")])
        cells = " | ".join(f"{m:.4f}" for m in means)
        lines.append(
            f"| {name} | {cells} | {delta.mean():+.4f} ({delta.std():.4f}) "
            f"| {(delta < 0).sum()} of {len(delta)} |"
        )
    if char_below:
        lines.append("")
        lines.append("| test language | mixed+char - alone | mixed+char - mixed |")
        lines.append("|---|---|---|")
        for lang, name in (("fr", "French"), ("en", "English")):
            alone, mixed, char = (
                np.array(scores[(lang, k)]) for k in ("alone", "mixed", "mixed+char")
            )
            lines.append(
                f"| {name} | {(char - alone).mean():+.4f} ({(char - alone).std():.4f}) "
                f"| {(char - mixed).mean():+.4f} ({(char - mixed).std():.4f}) |"
            )
    recipe = (
        "with character n-grams"
        if build_vectorizer(min(sizes["mixed"])).char_ngrams
        else "word features only"
    )
    subsample = (
        f"SemEval subsampled to {len(en_y):,} tweets (seed {SEED})"
        if en_rows and en_rows < 49_570
        else f"all {len(en_y):,} SemEval tweets"
    )
    header = (
        f"{n_folds}-fold stratified CV (seed {SEED}) of DEFT-2017 ({len(fr_y):,} French tweets, "
        f"train + validation) and of SemEval-2017 4A ({subsample}); "
        f"training sets per fold: French {size('fr')}, English {size('en')}, mixed "
        f"{size('mixed')} ({recipe} in the product recipe). Full product training "
        f"(`fit_model`) for every model; macro-averaged recall, "
        f"mean over folds; deltas are paired by fold. "
        f"{time.monotonic() - t0:.0f} s. Command: "
        f"`python bench/accuracy.py {shlex.join(sys.argv[1:])}`"
    )
    report = header + "\n\n" + "\n".join(lines)
    print("\nLanguage mixing\n" + report)
    return report


CHARS = {"char_ngrams": (2, 5), "char_min_df": 2, "min_df": 2}
WORDS = {"char_ngrams": None, "min_df": 2}
MIX_LEVERS = {
    "alone (one model per language, product recipe)": None,
    "mixed, word n-grams only (min_df 2)": (WORDS, 0),
    "mixed + character n-grams": (CHARS, 0),
    "mixed + character n-grams + min_df 1 (the small-set recipe)": ({**CHARS, "min_df": 1}, 0),
    "mixed, French tweets weighted x sqrt(n_en / n_fr)": (WORDS, 0.5),
    "mixed, French tweets weighted x n_en / n_fr": (WORDS, 1.0),
    "mixed + character n-grams, French weighted x sqrt(n_en / n_fr)": (CHARS, 0.5),
}


def mixing_levers(data_dir: Path, n_folds: int, en_rows: int | None) -> str:
    """What the French + English model loses to, measured one change at a time.

    Same folds as ``language_mixing``; C fixed at ``FIXED_C``, so that
    only the features and the weights change. A weight ``n_en / n_fr`` to the power p
    (0, 0.5 or 1) is each French training tweet's sample weight (the class weights
    stay balanced). Returns Markdown."""
    fr_texts, fr_y = load(data_dir, "deft")
    en_texts, en_y = load(data_dir, "semeval", en_rows)
    scores: dict[tuple[str, str], list[float]] = {}
    unconverged: set[str] = set()
    t0 = time.monotonic()
    pairs = zip(folds(fr_y, n_folds), folds(en_y, n_folds), strict=True)
    for fold, ((fr_tr, fr_te), (en_tr, en_te)) in enumerate(pairs, 1):
        fr_train, en_train = take(fr_texts, fr_tr), take(en_texts, en_tr)
        tests = {
            "fr": (take(fr_texts, fr_te), fr_y[fr_te]),
            "en": (take(en_texts, en_te), en_y[en_te]),
        }
        texts = fr_train + en_train
        y = np.concatenate([fr_y[fr_tr], en_y[en_tr]])
        ratio = len(en_tr) / len(fr_tr)
        fitted: dict[str, tuple] = {}
        for name, lever in MIX_LEVERS.items():
            if lever is None:
                for lang, (tr_texts, tr_y) in (
                    ("fr", (fr_train, fr_y[fr_tr])),
                    ("en", (en_train, en_y[en_tr])),
                ):
                    vec = build_vectorizer(len(tr_texts), n_jobs=2)
                    clf = make_classifier(FIXED_C, 3, len(tr_texts))
                    clf.fit(vec.fit_transform(tr_texts), tr_y)
                    test_texts, test_y = tests[lang]
                    pred = clf.predict(vec.transform(test_texts))
                    scores.setdefault((lang, name), []).append(
                        recall_score(test_y, pred, average="macro")
                    )
                continue
            changes, power = lever
            key = repr(sorted(changes.items()))
            if key not in fitted:
                vec = build_vectorizer(len(texts), n_jobs=2).set_params(**changes)
                fitted[key] = (vec, vec.fit_transform(texts))
            vec, X = fitted[key]
            weight = np.ones(len(y))
            weight[: len(fr_train)] = ratio**power
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                clf = make_classifier(FIXED_C, 3, len(y)).fit(X, y, sample_weight=weight)
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                unconverged.add(name)
            for lang, (test_texts, test_y) in tests.items():
                pred = clf.predict(vec.transform(test_texts))
                scores.setdefault((lang, name), []).append(
                    recall_score(test_y, pred, average="macro")
                )
        print(f"fold {fold}/{n_folds} of the levers, {time.monotonic() - t0:.0f}s", flush=True)
    alone = "alone (one model per language, product recipe)"
    lines = [
        "| model (C = 1) | French | delta vs alone | English | delta vs alone |",
        "|---|---|---|---|---|",
    ]
    for name in MIX_LEVERS:
        cells = []
        for lang in ("fr", "en"):
            mean = np.mean(scores[(lang, name)])
            delta = np.array(scores[(lang, name)]) - np.array(scores[(lang, alone)])
            cells.append(f"{mean:.4f} | " + ("" if name == alone else f"{delta.mean():+.4f}"))
        note = " (the solver did not converge)" if name in unconverged else ""
        lines.append(f"| {name}{note} | {' | '.join(cells)} |")
    report = (
        f"What the mixed model loses to ({n_folds} folds, the same splits, C "
        f"fixed at {FIXED_C:g}; {time.monotonic() - t0:.0f} s; "
        f"`python bench/accuracy.py {shlex.join(sys.argv[1:])}`):\n\n" + "\n".join(lines)
    )
    print("\n" + report, flush=True)
    return report


LEVERS = {
    "lexicon prior": {"lexicon_scale": 0},
    "character n-grams": {"char_ngrams": None},
    "negation scope": {"negation": False},
    "ELONG/ALLCAPS flags": {"flags": False},
    "word bigrams": {"word_ngrams": (1, 1)},
    "sublinear tf": {"sublinear_tf": False},
}


def levers(texts: list[str], y: np.ndarray, n_folds: int) -> dict[str, float]:
    """Macro recall of the baseline, the recipe, and the recipe minus each lever (C fixed)."""

    def run(make_vec, make_clf) -> float:
        scores = []
        for train, test in folds(y, n_folds):
            vec = make_vec()
            clf = make_clf().fit(vec.fit_transform(take(texts, train)), y[train])
            pred = clf.predict(vec.transform(take(texts, test)))
            scores.append(recall_score(y[test], pred, average="macro"))
        return float(np.mean(scores))

    def recipe(**changes):
        def make():
            vec = build_vectorizer(len(texts))
            return vec.set_params(**changes)

        return make

    out = {
        "baseline: TfidfVectorizer() + LogisticRegression()": run(
            TfidfVectorizer, lambda: LogisticRegression(max_iter=1000)
        )
    }

    def classifier() -> LogisticRegression:
        return make_classifier(FIXED_C, len(np.unique(y)), len(y))

    out["recipe (C fixed)"] = run(recipe(), classifier)
    for name, change in LEVERS.items():
        out[f"recipe without {name}"] = run(recipe(**change), classifier)
    out["recipe without class_weight=balanced"] = run(
        recipe(), lambda: classifier().set_params(class_weight=None)
    )
    return out


PN = ("negative", "positive")


@dataclass
class Transfer:
    """One training set and the tests of other sources or years it is scored on."""

    name: str
    title: str
    train: tuple[list[str], np.ndarray]
    tests: dict[str, tuple[list[str], np.ndarray]]


def _rows(data_dir: Path, name: str, keep=lambda row: True) -> tuple[list[str], np.ndarray]:
    rows = [r for r in read_csv(data_dir / f"{name}.csv.gz") if keep(r)]
    return [r["text"] for r in rows], np.array([r["label"] for r in rows], dtype=object)


def transfer_tasks(data_dir: Path) -> list[Transfer]:
    """The protocol's training sets and tests; files are read in their own order (as a user
    imports them), and no test tweet is in its training set."""

    def early(row):
        return not row["set"].startswith("2016")

    def polar(row):
        return row["label"] in PN

    semeval = "semeval2013_2016_by_set"
    return [
        Transfer(
            "s140",
            "Sentiment140 (100k, emoticon labels)",
            _rows(data_dir, "sentiment140_train_100k"),
            {
                "SemEval 2013-2016 pos/neg": _rows(data_dir, semeval, polar),
                "airline pos/neg": _rows(data_dir, "airline_tweets", polar),
            },
        ),
        Transfer(
            "semeval-early",
            "SemEval 2013-2015",
            _rows(data_dir, semeval, early),
            {"SemEval 2016 (a later year)": _rows(data_dir, semeval, lambda r: not early(r))},
        ),
        Transfer(
            "semeval",
            "SemEval 2013-2016 (SemEval-2017 train)",
            _rows(data_dir, semeval),
            {"airline (3 labels)": _rows(data_dir, "airline_tweets")},
        ),
        Transfer(
            "deft",
            "DEFT-2017 French train",
            _rows(data_dir, "deft2017_fr_train"),
            {"DEFT-2017 val": _rows(data_dir, "deft2017_fr_val")},
        ),
    ]


def in_domain_c(texts: list[str], y: np.ndarray) -> float:
    """The C the previous recipe chose: the best 3-fold in-domain macro recall on the log2 grid
    0.125..16, walking uphill from 1 (features fitted once on all texts, as it did)."""
    vectorizer = build_vectorizer(len(texts), n_jobs=2)
    X = vectorizer.fit_transform(texts)
    grid = [2.0**k for k in range(-3, 5)]
    scores: dict[float, float] = {}

    def cv(C: float) -> float:
        if C not in scores:
            fold_scores = []
            for tr, te in folds(y, 3):
                clf = make_classifier(C, len(np.unique(y)), len(tr)).fit(X[tr], y[tr])
                fold_scores.append(recall_score(y[te], clf.predict(X[te]), average="macro"))
            scores[C] = float(np.mean(fold_scores))
        return scores[C]

    i = grid.index(1.0)
    for step in (1, -1):
        j = i
        while 0 <= j + step < len(grid) and cv(grid[j + step]) > cv(grid[j]):
            j += step
        if j != i:
            break
    return max(scores, key=scores.__getitem__)


def _with_vectorizer(**changes):
    """``fit_model`` with ``build_vectorizer``'s result changed (None when no change)."""
    if not changes:
        return None

    def build(n_samples: int, n_jobs: int = 1):
        return build_vectorizer(n_samples, n_jobs=n_jobs).set_params(**changes)

    return build


def retrain_training_split(texts: list[str], y: np.ndarray) -> np.ndarray:
    """The tweets `retrain` fits its evaluated model on: all but its held-out share, chosen
    by text hash as sentiment.services.training does."""
    held_out = evaluation_mask([text_hash(t) for t in texts], list(y), EVAL_FRACTION)
    return np.flatnonzero(~held_out)


# name -> (C as a function of the training set, vectorizer changes[, the training tweets kept])
TRANSFER_LEVERS: dict[str, tuple] = {
    "product recipe (C = 100 / sqrt(n))": (None, {}),
    "C chosen by in-domain CV (previous recipe)": (in_domain_c, {}),
    "C x 4": (lambda texts, y: 4 * regularisation(len(texts)), {}),
    "C / 4": (lambda texts, y: regularisation(len(texts)) / 4, {}),
    "without the lexicon prior": (None, {"lexicon_scale": 0}),
    "without AFINN's part of the lexicon prior": (None, {"afinn": False}),
    "without Hu and Liu's part of the lexicon prior": (None, {"huliu": False}),
    "character n-grams at every size": (None, {"char_ngrams": (2, 5), "char_min_df": 2}),
    "retrain's training split only (the held-out 20% left out)": (
        None,
        {},
        retrain_training_split,
    ),
}


def transfer(data_dir: Path, lever_names: list[str]) -> str:
    """Score every lever on every transfer task; returns the Markdown table."""
    tasks = transfer_tasks(data_dir)
    columns = [(task, test) for task in tasks for test in task.tests]
    results: dict[str, list[str]] = {}
    t0 = time.monotonic()
    for name in lever_names:
        choose_c, changes, *keep = TRANSFER_LEVERS[name]
        cells = []
        for task in tasks:
            texts, y = task.train
            if keep:
                kept = keep[0](texts, y)
                texts, y = take(texts, kept), y[kept]
            if changes.get("char_ngrams") and build_vectorizer(len(texts)).char_ngrams:
                cells += ["same"] * len(task.tests)  # the product already has them
                continue
            C = choose_c(texts, y) if choose_c else None
            build = _with_vectorizer(**changes)
            if build is None:
                result = fit_model(texts, y, C=C)
            else:
                product_build = product_train.build_vectorizer
                product_train.build_vectorizer = build
                try:
                    result = fit_model(texts, y, C=C)
                finally:
                    product_train.build_vectorizer = product_build
            for test, (test_texts, test_y) in task.tests.items():
                pred = result.classifier.predict(result.vectorizer.transform(test_texts))
                score = recall_score(test_y, pred, average="macro")
                cells.append(f"{score:.4f} (C={result.C:.3g})")
                print(
                    f"{name} | {task.title} -> {test}: {score:.4f} (C={result.C:.3g}, "
                    f"{time.monotonic() - t0:.0f}s)",
                    flush=True,
                )
        results[name] = cells
    header = "| recipe | " + " | ".join(f"{t.title} -> {test}" for t, test in columns) + " |"
    lines = [header, "|---|" + "---|" * len(columns)]
    product = results.get(next(iter(TRANSFER_LEVERS)))
    for name, cells in results.items():
        shown = []
        for k, cell in enumerate(cells):
            if product is not None and cells is not product and cell != "same":
                delta = float(cell.split()[0]) - float(product[k].split()[0])
                cell = f"{cell} {delta:+.4f}"
            shown.append(cell)
        lines.append(f"| {name} | " + " | ".join(shown) + " |")
    sizes = ", ".join(f"{t.title} {len(t.train[1]):,}" for t in tasks)
    tests = ", ".join(f"{test} {len(ty):,}" for t in tasks for test, (_, ty) in t.tests.items())
    return (
        f"Macro recall (for two labels: the accuracy of a test balanced between them). "
        f"Training tweets: {sizes}; test tweets: {tests}. Each model is `fit_model` on the "
        f"whole training file, as `retrain` refits the model a version serves (a row that "
        f"keeps only retrain's training split says so). "
        f"{time.monotonic() - t0:.0f} s. Command: "
        f"`python bench/accuracy.py {shlex.join(sys.argv[1:])}`\n\n" + "\n".join(lines)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--quick", action="store_true", help="3 folds, 20k-tweet subsamples")
    parser.add_argument("--folds", type=int, help="number of CV folds (default 5, quick 3)")
    parser.add_argument(
        "--levers", action="store_true", help="transfer: every lever, not only the C choice"
    )
    parser.add_argument(
        "--lever",
        action="append",
        metavar="NAME",
        help="transfer: the product recipe and only this lever (repeatable)",
    )
    parser.add_argument("--transfer-only", action="store_true", help="no in-domain CV")
    parser.add_argument("--no-transfer", action="store_true", help="skip the transfer protocol")
    parser.add_argument(
        "--cv-levers", action="store_true", help="in-domain: each feature lever at a fixed C"
    )
    parser.add_argument(
        "--tasks", default="s140,semeval,deft", help="in-domain CV: comma-separated, or none"
    )
    parser.add_argument("--mixing", action="store_true", help="also the language check")
    parser.add_argument("--mixing-only", action="store_true", help="only the language check")
    parser.add_argument(
        "--en-rows", type=int, help="language check: subsample SemEval to this many tweets"
    )
    parser.add_argument(
        "--char-below",
        type=int,
        default=0,
        metavar="N",
        help="language check: also a mixed model keeping character n-grams under N tweets",
    )
    parser.add_argument(
        "--mix-levers",
        action="store_true",
        help="language check: also what the mixed model loses to (C fixed, one change at a time)",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write into docs/")
    args = parser.parse_args()
    if not (args.data_dir / "semeval2017_train.csv.gz").exists():
        print(f"No benchmark data in {args.data_dir}: nothing to measure (pass --data-dir).")
        return 0

    def write(section: str, report: str) -> None:
        if not args.no_doc:
            replace_section(DOC, section, report, title="Sentiment model")
            print(f"Written to {DOC} ({section})")

    if not (args.no_transfer or args.mixing_only):
        names = list(TRANSFER_LEVERS) if args.levers else list(TRANSFER_LEVERS)[:2]
        if args.lever:
            unknown = set(args.lever) - set(TRANSFER_LEVERS)
            if unknown:
                parser.error(f"unknown lever {sorted(unknown)}; known: {list(TRANSFER_LEVERS)}")
            names = [next(iter(TRANSFER_LEVERS)), *args.lever]
        print("Transfer: trained on one source or year, scored on another")
        report = transfer(args.data_dir, names)
        print("\n" + report)
        # The product and chosen levers only: a table of their own, beside the full one.
        write("transfer-selected" if args.lever else "transfer", report)
    if args.transfer_only:
        return 0
    n_folds = args.folds or (3 if args.quick else 5)
    rows_cap = QUICK_ROWS if args.quick else None
    rows = []
    tasks = [] if args.mixing_only or args.tasks == "none" else args.tasks.split(",")
    t_all = time.monotonic()
    for task in tasks:
        texts, y = load(args.data_dir, task, rows_cap)
        t0 = time.monotonic()
        res = cv_product(texts, y, n_folds)
        classes = np.unique(y)
        table, ece = reliability(y, res["proba"], classes)
        rows.append((task, len(y), res, ece))
        print(f"\n{TITLES[task]}: {len(y)} tweets, {time.monotonic() - t0:.0f}s")
        print(
            f"accuracy {res['acc']:.4f}, macro recall {res['macro_recall']:.4f} "
            f"(sd {res['sd']:.4f}), C per fold {res['C']}, fit {res['fit_s']:.0f}s"
        )
        print(f"Reliability of the top-class probability (ECE {ece:.4f}):\n{table}")
        if args.cv_levers:
            print("| variant | macro recall | delta vs recipe |\n|---|---|---|")
            lever_scores = levers(texts, y, n_folds)
            ref = lever_scores["recipe (C fixed)"]
            for name, score in lever_scores.items():
                print(f"| {name} | {score:.4f} | {score - ref:+.4f} |", flush=True)
    if rows:
        lines = [
            "| task | tweets | accuracy | macro recall | sd over folds | ECE | C |",
            "|---|---|---|---|---|---|---|",
        ]
        for task, n, res, ece in rows:
            cs = sorted({f"{c:.3g}" for c in res["C"]})
            lines.append(
                f"| {TITLES[task]} | {n:,} | {res['acc']:.4f} | {res['macro_recall']:.4f} "
                f"| {res['sd']:.4f} | {ece:.4f} | {', '.join(cs)} |"
            )
        report = (
            f"{n_folds}-fold stratified CV (seed {SEED}{', quick subsamples' if args.quick else ''}"
            f"), the full product training (`fit_model`) in every fold; "
            f"{time.monotonic() - t_all:.0f} s. Command: "
            f"`python bench/accuracy.py {shlex.join(sys.argv[1:])}`\n\n" + "\n".join(lines)
        )
        print("\n" + report)
        write("in-domain", report)
    if args.mixing or args.mixing_only:
        en_rows = args.en_rows or rows_cap
        write("language-mix", language_mixing(args.data_dir, n_folds, en_rows, args.char_below))
    if args.mix_levers:
        write("language-levers", mixing_levers(args.data_dir, n_folds, args.en_rows or rows_cap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
