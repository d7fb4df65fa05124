"""Which model serves: loading, caching and hot-reloading the active version.

Files are loaded by versions.load_predictor, the one loader. Each server process keeps the
serving model in memory (`registry`). A background thread looks up the active version in the
database every SENTIMENT_RELOAD_SECONDS and, when it has changed, loads and verifies the new
files while the old model goes on serving, then swaps a single reference. A request takes that
reference once, so it is answered entirely by one version, and its own cost is one attribute
read: no query, no file access. Nothing is loaded at import time; the first request (or
`warm_up()` in a server hook) loads the model.

Failures are soft: with the database away, or files that fail their checksum, the last good
model keeps serving; with no good model at all, `get()` raises ModelUnavailable.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import sklearn
from django.conf import settings
from django.db import DatabaseError

from sentiment.ml import pacing
from sentiment.ml.artifacts import ArtifactError
from sentiment.ml.predictor import Predictor
from sentiment.models import ModelVersion
from sentiment.services import drift, versions
from sentiment.services.background import ProcessThread, every

log = logging.getLogger(__name__)

NO_MODEL = "no model has been trained yet: run `python manage.py retrain` (or `make run`)"
# A version whose files failed verification is not re-read on every poll, only this often.
RETRY_BAD_SECONDS = 60.0


class ModelUnavailable(Exception):
    """No model can serve; the message says what to do."""


@dataclass(frozen=True)
class ServingModel:
    version: int
    predictor: Predictor
    sklearn_version: str


class ModelRegistry:
    def __init__(self) -> None:
        self._serving: ServingModel | None = None
        self._problem: str = NO_MODEL
        self._refused: dict[int, float] = {}
        self._load_lock = threading.Lock()
        self._poller = ProcessThread("model-reload")

    def get(self) -> ServingModel:
        """The model to answer this request with; raises ModelUnavailable."""
        serving = self._serving
        interval = settings.SENTIMENT_RELOAD_SECONDS
        if interval <= 0 or serving is None:
            self.refresh()
            serving = self._serving
        if interval > 0 and not self._poller.running:
            self._poller.start(every, interval, self._poll, "model check")
        if serving is None:
            raise ModelUnavailable(self._problem)
        return serving

    def peek(self) -> ServingModel | None:
        """The model serving right now, without looking for a newer one."""
        return self._serving

    def warm_up(self) -> None:
        """Load the active model now, e.g. in a server's post-fork hook."""
        self.refresh()
        if settings.SENTIMENT_RELOAD_SECONDS > 0:
            self._poller.start(every, settings.SENTIMENT_RELOAD_SECONDS, self._poll, "model check")

    def reset(self) -> None:
        """Forget the serving model (tests, and after the model folder is replaced)."""
        with self._load_lock:
            self._serving = None
            self._problem = NO_MODEL
            self._refused.clear()

    def _poll(self) -> None:
        self.refresh(background=True)

    def refresh(self, *, background: bool = False) -> None:
        """Look up the active version and load it if it is not the one serving; `background`:
        called beside requests, which a new model's loading must not hold up (pacing)."""
        try:
            active = (
                ModelVersion.objects.filter(is_active=True)
                .only("directory", "model_sha256", "vectorizer_sha256", "sklearn_version")
                .first()
            )
        except DatabaseError as exc:
            log.warning("model check skipped, database unavailable: %s", exc)
            if self._serving is None:
                self._problem = "the model registry is unavailable: the database cannot be reached"
            return
        if active is None:
            if self._serving is None:
                self._problem = NO_MODEL
            return
        version = active.pk
        serving = self._serving
        if serving is not None and serving.version == version:
            return
        refused_at = self._refused.get(version)
        if refused_at is not None and time.monotonic() - refused_at < RETRY_BAD_SECONDS:
            return
        with self._load_lock:
            if self._serving is not None and self._serving.version == version:
                return
            self._load(active, paced=background and self._serving is not None)

    def _load(self, active: ModelVersion, *, paced: bool) -> None:
        version, sk_version = active.pk, active.sklearn_version
        started = time.perf_counter()
        # A hot reload shares the process with requests: its long steps are paced (see
        # sentiment/ml/pacing.py). A first load, or one on a request's thread, is not.
        pace = pacing.paced() if paced else contextlib.nullcontext()
        try:
            with pace:
                predictor = versions.load_predictor(active)
                # What the first request would otherwise compute (drift's word columns: a
                # pass over the vocabulary) is done here, before the model serves.
                drift.word_columns(predictor)
        except ArtifactError as exc:
            self._refused[version] = time.monotonic()
            log.error("refusing model version %s: %s", version, exc)
            if self._serving is None:
                self._problem = (
                    f"model version {version} failed its integrity check and no earlier model "
                    "is loaded; activate a good version (`python manage.py activate_model N`)"
                )
            return
        if sk_version != sklearn.__version__:
            log.warning(
                "model version %s was trained with scikit-learn %s but %s is installed; "
                "its predictions may differ: retrain it with this version",
                version,
                sk_version,
                sklearn.__version__,
            )
        self._refused.pop(version, None)
        previous = self._serving.version if self._serving else None
        self._serving = ServingModel(version, predictor, sk_version)
        log.info(
            "serving model version %s (was %s), loaded in %.2fs",
            version,
            previous,
            time.perf_counter() - started,
        )


registry = ModelRegistry()
