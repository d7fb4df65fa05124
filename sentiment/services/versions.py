"""Model versions: where their files live, loading them, and moving the active pointer.

`load_predictor` is the one function that loads a version's served files (the registry,
rescoring and file scoring all call it), `load_evaluated_predictor` the model the version was
evaluated as (retrain's champion); both go through sentiment/ml/artifacts.py, which unpickles
nothing whose checksum does not match. `activate_and_rescore` is the one way a
version starts serving: it runs under the model lock, the same one retrain holds.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from sentiment.ml.artifacts import EVALUATION_FOLDER, ArtifactError, Checksums, verify_artifacts
from sentiment.ml.predictor import Predictor
from sentiment.models import Activation, ModelVersion
from sentiment.services import locks
from sentiment.services.progress import SILENT, Progress

# Retrain and activation share one lock: a version must not start serving while another run
# decides which version serves.
MODEL_LOCK = "retrain"


class VersionError(Exception):
    """A version that does not exist or cannot be activated; the message says why."""


def version_path(version: ModelVersion) -> Path:
    return Path(settings.SENTIMENT_MODEL_DIR) / version.directory


def checksums(version: ModelVersion) -> Checksums:
    return Checksums(version.model_sha256, version.vectorizer_sha256)


def load_predictor(version: ModelVersion) -> Predictor:
    """The version's model, once its files match their checksums; raises ArtifactError."""
    return Predictor.load(version_path(version), checksums(version))


def load_evaluated_predictor(version: ModelVersion) -> Predictor:
    """The model whose held-out scores the version's metrics are: the pair in its evaluation
    folder when the served one was refitted on every annotated tweet (it has seen the held-out
    tweets), the served pair otherwise. Raises ArtifactError."""
    if not version.evaluation_model_sha256:
        return load_predictor(version)
    return Predictor.load(
        version_path(version) / EVALUATION_FOLDER,
        Checksums(version.evaluation_model_sha256, version.evaluation_vectorizer_sha256),
    )


def activate(version_id: int, *, user: User | None = None, reason: str = "") -> ModelVersion:
    """Move the active pointer to version `version_id` (callers hold the model lock).

    Its files are verified first; a version that fails is refused and nothing changes. The
    change and its reason are added to the history (Activation).
    """
    try:
        version = ModelVersion.objects.get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise VersionError(f"there is no model version {version_id}") from None
    if version.status == ModelVersion.Status.SAVING:
        raise VersionError(f"version {version_id} was never completely saved and cannot serve")
    try:
        verify_artifacts(version_path(version), checksums(version))
    except ArtifactError as exc:
        raise VersionError(f"version {version_id} refused: {exc}") from None
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.pk == version.pk:
            return version
        if current is not None:
            # Clear the old flag first: the unique column allows one True at any moment.
            ModelVersion.objects.filter(pk=current.pk).update(is_active=None)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
        Activation.objects.create(
            version=version,
            previous=current,
            activated_by=user if getattr(user, "pk", None) else None,
            reason=reason,
        )
        # A version in shadow stops being compared with itself once it serves. (Imported here:
        # shadow loads files through this module.)
        from sentiment.services import shadow

        shadow.end_on_activation(version)
    version.is_active = True
    return version


def activate_and_rescore(
    version_id: int,
    *,
    user: User | None = None,
    reason: str = "",
    predictor: Predictor | None = None,
    progress: Progress = SILENT,
    lock_held: bool = False,
) -> tuple[ModelVersion, int]:
    """Activate a version, then store its scores for every unlabelled tweet.

    Takes the model lock (raises locks.LockHeld at once if a retrain or another activation
    holds it) unless the caller holds it already (`lock_held`: retrain, which passes the model
    it has in memory). Returns the version and how many tweets were rescored.
    """
    from sentiment.services import scoring  # scoring loads versions through this module

    if not lock_held:
        with locks.job_lock(MODEL_LOCK, held_by=_describe(user, reason)):
            return activate_and_rescore(
                version_id,
                user=user,
                reason=reason,
                predictor=predictor,
                progress=progress,
                lock_held=True,
            )
    progress.stage("activation", f"version {version_id}")
    version = activate(version_id, user=user, reason=reason)
    scored = scoring.refresh_predictions(
        version, predictor or load_predictor(version), progress=progress
    )
    return version, scored


def _describe(user: User | None, reason: str) -> str:
    who = user.get_username() if user is not None and getattr(user, "pk", None) else ""
    return f"activation by {who}" if who else f"activation ({reason or 'no reason given'})"
