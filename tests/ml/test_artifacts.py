"""Saving and loading model files: atomic writes, and loads only after a checksum match."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from sentiment.ml import artifacts
from sentiment.ml.artifacts import (
    MODEL_FILE,
    VECTORIZER_FILE,
    ArtifactError,
    Checksums,
    load_artifacts,
    save_artifacts,
)


@pytest.fixture
def fitted():
    texts = ["good day", "bad day", "great fun", "awful pain"]
    vectorizer = TfidfVectorizer().fit(texts)
    model = LogisticRegression().fit(vectorizer.transform(texts), ["p", "n", "p", "n"])
    return vectorizer, model


def test_saved_files_load_back_after_verification(tmp_path, fitted):
    checksums = save_artifacts(tmp_path / "v1", *fitted, {"version": 1})

    vectorizer, model = load_artifacts(tmp_path / "v1", checksums)

    assert list(model.predict(vectorizer.transform(["good fun"]))) == ["p"]
    assert (tmp_path / "v1" / "meta.json").is_file()


def test_a_crash_midway_leaves_no_folder_that_looks_complete(tmp_path, fitted, monkeypatch):
    calls = []

    def fail_on_second_file(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        path.write_bytes(data)

    monkeypatch.setattr(artifacts, "_write_synced", fail_on_second_file)

    with pytest.raises(ArtifactError, match=r"cannot write the model .*No space left on device"):
        save_artifacts(tmp_path / "v1", *fitted, {})

    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path, fitted):
    save_artifacts(tmp_path / "v1", *fitted, {})

    with pytest.raises(ArtifactError, match="already exists"):
        save_artifacts(tmp_path / "v1", *fitted, {})


@pytest.mark.parametrize("name", [MODEL_FILE, VECTORIZER_FILE])
def test_a_changed_file_is_refused_before_unpickling(tmp_path, fitted, name, monkeypatch):
    checksums = save_artifacts(tmp_path / "v1", *fitted, {})
    (tmp_path / "v1" / name).write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    monkeypatch.setattr(artifacts.joblib, "load", pytest.fail)  # must never be reached

    with pytest.raises(ArtifactError, match="does not match the recorded"):
        load_artifacts(tmp_path / "v1", checksums)


def test_files_without_a_recorded_checksum_are_refused(tmp_path, fitted):
    save_artifacts(tmp_path / "v1", *fitted, {})

    with pytest.raises(ArtifactError, match="no checksum was recorded"):
        load_artifacts(tmp_path / "v1", Checksums("", ""))
