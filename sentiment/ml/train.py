"""Training: fit the vectorizer, choose C by internal cross-validation, fit the classifier.

C is searched on a log2 grid starting at ``DEFAULT_C`` and walking towards better scores
(macro-averaged recall, which weighs every class equally); the walk stops when the next
candidate would overrun the time budget, so training time stays bounded on large inputs.
The vectorizer is fitted once on all texts before the search: refitting it per fold would
triple the cost and only its IDF weights would change slightly. Past ``SEARCH_MAX_SAMPLES``
texts the folds are drawn from a stratified sample of that size (a fold fit on 800k tweets
costs a minute; the held-out score moves by a few thousandths between neighbouring Cs, which
a sample measures as well), and only the final fit sees every text.

The probabilities are then calibrated by temperature scaling: one scalar T, fitted on the
search's out-of-fold decisions at the chosen C by minimising the log loss, divides the
final model's coefficients and intercepts. The model stays a plain LogisticRegression whose
``predict_proba`` is calibrated, its predicted labels are unchanged (dividing every decision
by the same T > 0 keeps their order) and a feature's contribution is still coef_ x value.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from .features import TweetVectorizer, build_vectorizer

DEFAULT_C = 1.0
C_GRID = tuple(2.0**k for k in range(-3, 5))  # 0.125 .. 16
MAX_FOLDS = 3
CLASS_WEIGHT = "balanced"
SAG_MIN_SAMPLES = 20_000
SEARCH_MAX_SAMPLES = 100_000


@dataclass
class FitResult:
    """A fitted model: ``classifier.predict_proba(vectorizer.transform(texts))``."""

    vectorizer: TweetVectorizer
    classifier: LogisticRegression
    C: float
    cv_score: float  # internal-CV macro recall at the chosen C; nan when CV was skipped
    n_features: int
    seconds: float
    cv_scores: dict[float, float] = field(default_factory=dict)
    temperature: float = 1.0  # the final model's decisions are already divided by it


def make_classifier(
    C: float, n_classes: int = 2, n_samples: int = 0, random_state: int = 0
) -> LogisticRegression:
    """The classifier of the product: L2 logistic regression, class-balanced.

    Solver by measured speed: liblinear for two labels; for three (multinomial; liblinear
    no longer accepts them) lbfgs on small sets, where the stochastic solvers need hundreds
    of epochs, and sag on large ones, where it converges in a few dozen epochs while lbfgs
    crawls (on 200k tweets: sag 16 s, saga 42 s, lbfgs 220 s; sag and lbfgs reach the same
    held-out macro recall, saga stops 0.004 short of it). Past ``SEARCH_MAX_SAMPLES`` sag
    stops at a relative change of 1e-3 instead of 1e-4: 24 epochs instead of 40, 0.001 of macro
    recall on 200k tweets.
    """
    solver = "liblinear" if n_classes == 2 else "sag" if n_samples >= SAG_MIN_SAMPLES else "lbfgs"
    tol = 1e-3 if solver == "sag" and n_samples > SEARCH_MAX_SAMPLES else 1e-4
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


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    time_budget_s: float = 120.0,
    n_jobs: int = 2,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Fit vectorizer and classifier on labelled tweets (2 or more labels).

    The C search uses up to 3 stratified folds (fewer when a label has fewer examples) and
    stays within ``time_budget_s`` as far as the vectorizer fit and final fit allow; with a
    label seen only once, the search is skipped and ``DEFAULT_C`` is used.
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

    vectorizer = build_vectorizer(len(texts), n_jobs=n_jobs)
    X = vectorizer.fit_transform(texts)
    say(f"features: {X.shape[1]} from {X.shape[0]} texts in {time.monotonic() - start:.1f}s")

    n_folds = min(MAX_FOLDS, min(counts.values()))
    scores: dict[float, float] = {}
    decisions: dict[float, np.ndarray] = {}
    best_c = DEFAULT_C
    temperature = 1.0
    if n_folds >= 2:
        X_search, y_search = search_sample(X, y, random_state)
        if len(y_search) < len(y):
            say(f"C search on a stratified sample of {len(y_search)} texts")
        folds = list(
            StratifiedKFold(n_folds, shuffle=True, random_state=random_state).split(
                np.zeros(len(y_search)), y_search
            )
        )
        best_c = _search_c(
            X_search,
            y_search,
            folds,
            scores,
            decisions,
            start,
            time_budget_s,
            n_jobs,
            random_state,
            say,
        )
        temperature = fit_temperature(decisions[best_c], y_search, np.unique(y_search))

    classifier = make_classifier(best_c, len(counts), len(y), random_state).fit(X, y)
    classifier.coef_ /= temperature
    classifier.intercept_ /= temperature
    seconds = time.monotonic() - start
    say(f"fitted C={best_c:g}, calibrated with temperature {temperature:.3f}, in {seconds:.1f}s")
    return FitResult(
        vectorizer=vectorizer,
        classifier=classifier,
        C=best_c,
        cv_score=scores.get(best_c, math.nan),
        n_features=X.shape[1],
        seconds=seconds,
        cv_scores=scores,
        temperature=temperature,
    )


def search_sample(
    X: sp.csr_matrix, y: np.ndarray, random_state: int = 0
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The rows the C search runs on: all of them, or a stratified sample of
    ``SEARCH_MAX_SAMPLES`` that keeps every label's share."""
    if len(y) <= SEARCH_MAX_SAMPLES:
        return X, y
    index, _ = next(
        StratifiedShuffleSplit(
            n_splits=1, train_size=SEARCH_MAX_SAMPLES, random_state=random_state
        ).split(np.zeros(len(y)), y)
    )
    index.sort()
    return X[index], y[index]


def _search_c(
    X: sp.csr_matrix,
    y: np.ndarray,
    folds: list,
    scores: dict[float, float],
    decisions: dict[float, np.ndarray],
    start: float,
    budget: float,
    n_jobs: int,
    random_state: int,
    say: Callable[[str], None],
) -> float:
    """Walk the C grid from DEFAULT_C uphill; stop at a peak, the grid's end or the budget.

    Fills ``scores`` (macro recall) and ``decisions`` (out-of-fold decisions) per C tried.
    """
    classes = np.unique(y)
    grid = list(C_GRID)
    i = grid.index(DEFAULT_C)
    last_cost = 0.0

    def evaluate(j: int) -> bool:
        nonlocal last_cost
        # The final fit costs about one fold fit on more data: keep room for it.
        if scores and time.monotonic() - start + 2.5 * last_cost > budget:
            say("C search stopped by the time budget")
            return False
        t0 = time.monotonic()
        decisions[grid[j]] = _cv_decisions(X, y, folds, grid[j], n_jobs, random_state)
        scores[grid[j]] = _macro_recall(decisions[grid[j]], y, classes)
        best = max(scores, key=scores.__getitem__)
        for c in [c for c in decisions if c != best]:  # n x classes floats each: keep one
            del decisions[c]
        last_cost = time.monotonic() - t0
        say(f"C={grid[j]:g}: macro recall {scores[grid[j]]:.4f} ({last_cost:.1f}s)")
        return True

    evaluate(i)
    for step in (1, -1):
        j = i
        while 0 <= j + step < len(grid) and evaluate(j + step):
            if scores[grid[j + step]] <= scores[grid[j]]:
                break
            j += step
        if j != i:  # improved going up: no need to try below
            break
    return max(scores, key=scores.__getitem__)
