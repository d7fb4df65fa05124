"""Training: fit the vectorizer, set C from the training set's size, calibrate, fit.

C, the inverse strength of the L2 penalty, is ``C_SCALE / sqrt(n)`` for ``n`` training tweets,
not the value that scores best in cross-validation on the training file. The two disagree where
it matters: cross-validation scores the model on tweets of its own source, and rewards fitting
that source's quirks (on Sentiment140, whose labels come from emoticons, it picks C = 2 to 4,
eight to sixteen times the C that scores best on human-labelled tweets from other sources).
A penalty that grows as the square root of the training set (scikit-learn's ``C`` multiplies a
sum of losses) is the scaling of the classic generalisation bounds, and ``C_SCALE`` is set by
the transfer protocol of ``bench/accuracy.py``: training on one source or year and scoring
another (docs/accuracy.md).

The probabilities are then calibrated by temperature scaling: one scalar T, fitted on the
out-of-fold decisions of a 3-fold cross-validation at that C by minimising the log loss,
divides the final model's coefficients and intercepts. The model stays a plain
LogisticRegression whose ``predict_proba`` is calibrated, its predicted labels are unchanged
(dividing every decision by the same T > 0 keeps their order) and a feature's contribution is
still coef_ x value. Past ``CALIBRATION_MAX_SAMPLES`` texts the folds are drawn from a
stratified sample of that size; only the final fit sees every text.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from .features import TweetVectorizer, build_vectorizer

C_SCALE = 100.0
C_MIN, C_MAX = 2.0**-5, 16.0
MAX_FOLDS = 3
CLASS_WEIGHT = "balanced"
SAG_MIN_SAMPLES = 20_000
CALIBRATION_MAX_SAMPLES = 100_000


@dataclass
class FitResult:
    """A fitted model: ``classifier.predict_proba(vectorizer.transform(texts))``."""

    vectorizer: TweetVectorizer
    classifier: LogisticRegression
    C: float
    cv_score: float  # 3-fold CV macro recall at C on the training tweets; nan when skipped
    n_features: int
    seconds: float
    temperature: float = 1.0  # the final model's decisions are already divided by it


def make_classifier(
    C: float, n_classes: int = 2, n_samples: int = 0, random_state: int = 0
) -> LogisticRegression:
    """The classifier of the product: L2 logistic regression, class-balanced.

    Solver by measured speed: liblinear for two labels; for three (multinomial; liblinear
    no longer accepts them) lbfgs on small sets, where the stochastic solvers need hundreds
    of epochs, and sag on large ones, where it converges in a few dozen epochs while lbfgs
    crawls (on 200k tweets: sag 16 s, saga 42 s, lbfgs 220 s; sag and lbfgs reach the same
    held-out macro recall, saga stops 0.004 short of it). Past ``CALIBRATION_MAX_SAMPLES`` sag
    stops at a relative change of 1e-3 instead of 1e-4 (fewer epochs for 0.001 of macro recall,
    docs/scaling.md).
    """
    solver = "liblinear" if n_classes == 2 else "sag" if n_samples >= SAG_MIN_SAMPLES else "lbfgs"
    tol = 1e-3 if solver == "sag" and n_samples > CALIBRATION_MAX_SAMPLES else 1e-4
    return LogisticRegression(
        C=C,
        class_weight=CLASS_WEIGHT,
        solver=solver,
        tol=tol,
        max_iter=1000,
        random_state=random_state,
    )


def _fold_decisions(
    X: sp.csr_matrix,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    C: float,
    random_state: int,
) -> np.ndarray:
    clf = make_classifier(C, len(np.unique(y)), len(train), random_state)
    clf.fit(X[train], y[train])
    return clf.decision_function(X[test])


def _cv_decisions(
    X: sp.csr_matrix,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    C: float,
    n_jobs: int,
    random_state: int,
) -> np.ndarray:
    """Out-of-fold decision values of every example (a column per class, or one if binary)."""
    # Threads: the solvers spend their time in BLAS/sparse kernels that release the GIL, and
    # threads share X instead of copying it into every worker.
    parts = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_fold_decisions)(X, y, train, test, C, random_state) for train, test in folds
    )
    decisions = np.empty((len(y), *parts[0].shape[1:]))
    for (_, test), part in zip(folds, parts, strict=True):
        decisions[test] = part
    return decisions


def _macro_recall(decisions: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    predicted = (
        classes[(decisions > 0).astype(int)]
        if decisions.ndim == 1
        else classes[decisions.argmax(axis=1)]
    )
    return float(recall_score(y, predicted, average="macro"))


def fit_temperature(decisions: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    """The T > 0 minimising the log loss of softmax(decisions / T) (logistic if binary)."""
    if decisions.ndim == 1:
        sign = np.where(y == classes[1], 1.0, -1.0)

        def loss(log_t: float) -> float:
            return float(-log_expit(sign * decisions / np.exp(log_t)).mean())

    else:
        target = np.searchsorted(classes, y)
        rows = np.arange(len(y))

        def loss(log_t: float) -> float:
            return float(-log_softmax(decisions / np.exp(log_t), axis=1)[rows, target].mean())

    # T between 1/8 and 8: beyond that the out-of-fold decisions are degenerate.
    found = minimize_scalar(loss, bounds=(-math.log(8), math.log(8)), method="bounded")
    return float(np.exp(found.x))


def regularisation(n_samples: int) -> float:
    """The C of a training set of ``n_samples`` tweets (see the module docstring)."""
    return float(np.clip(C_SCALE / math.sqrt(max(n_samples, 1)), C_MIN, C_MAX))


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    C: float | None = None,
    n_jobs: int = 2,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Fit vectorizer and classifier on labelled tweets (2 or more labels).

    ``C`` defaults to ``regularisation(len(texts))``. The calibration uses up to 3 stratified
    folds (fewer when a label has fewer examples); with a label seen only once it is skipped.
    """
    start = time.monotonic()
    say = progress or (lambda message: None)
    texts = list(texts)
    y = np.asarray([str(label) for label in labels], dtype=object)
    counts = Counter(y)
    if len(counts) < 2:
        raise ValueError("need at least two distinct labels to train")
    if len(texts) != len(y):
        raise ValueError("texts and labels differ in length")
    C = regularisation(len(texts)) if C is None else C

    vectorizer = build_vectorizer(len(texts), n_jobs=n_jobs)
    X = vectorizer.fit_transform(texts)
    say(f"features: {X.shape[1]} from {X.shape[0]} texts in {time.monotonic() - start:.1f}s")

    n_folds = min(MAX_FOLDS, min(counts.values()))
    cv_score = math.nan
    temperature = 1.0
    if n_folds >= 2:
        X_cal, y_cal = calibration_sample(X, y, random_state)
        if len(y_cal) < len(y):
            say(f"calibration on a stratified sample of {len(y_cal)} texts")
        folds = list(
            StratifiedKFold(n_folds, shuffle=True, random_state=random_state).split(
                np.zeros(len(y_cal)), y_cal
            )
        )
        decisions = _cv_decisions(X_cal, y_cal, folds, C, n_jobs, random_state)
        classes = np.unique(y_cal)
        cv_score = _macro_recall(decisions, y_cal, classes)
        temperature = fit_temperature(decisions, y_cal, classes)
        say(f"C={C:g}: {n_folds}-fold macro recall {cv_score:.4f}")

    say(f"final fit on {len(y)} texts at C={C:g}")
    classifier = make_classifier(C, len(counts), len(y), random_state).fit(X, y)
    classifier.coef_ /= temperature
    classifier.intercept_ /= temperature
    seconds = time.monotonic() - start
    say(f"fitted C={C:g}, calibrated with temperature {temperature:.3f}, in {seconds:.1f}s")
    return FitResult(
        vectorizer=vectorizer,
        classifier=classifier,
        C=C,
        cv_score=cv_score,
        n_features=X.shape[1],
        seconds=seconds,
        temperature=temperature,
    )


def calibration_sample(
    X: sp.csr_matrix, y: np.ndarray, random_state: int = 0
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The rows the calibration runs on: all of them, or a stratified sample of
    ``CALIBRATION_MAX_SAMPLES`` that keeps every label's share."""
    if len(y) <= CALIBRATION_MAX_SAMPLES:
        return X, y
    index, _ = next(
        StratifiedShuffleSplit(
            n_splits=1, train_size=CALIBRATION_MAX_SAMPLES, random_state=random_state
        ).split(np.zeros(len(y)), y)
    )
    index.sort()
    return X[index], y[index]
