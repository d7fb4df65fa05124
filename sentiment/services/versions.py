"""Model versions: where their files live, checking them, and moving the active pointer."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from sentiment.ml.artifacts import ArtifactError, Checksums, verify_artifacts
from sentiment.models import Activation, ModelVersion


class VersionError(Exception):
    """A version that does not exist or cannot be activated; the message says why."""


def version_path(version: ModelVersion) -> Path:
    return Path(settings.SENTIMENT_MODEL_DIR) / version.directory


def checksums(version: ModelVersion) -> Checksums:
    return Checksums(version.model_sha256, version.vectorizer_sha256)


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.active()


def activate(version_id: int, *, user: object | None = None, reason: str = "") -> ModelVersion:
    """Make version `version_id` the one every server answers with.

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
