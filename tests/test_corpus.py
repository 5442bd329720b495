"""Real manifests from ../shared/corpus: all load, and the valid ones raise no errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course import check_file
from tests.conftest import SHARED

CORPUS = SHARED / "corpus"

# Files the corpus README documents as intentionally invalid, unparseable or placeholder-filled,
# with the rule we expect to say so. Anything else in the corpus must produce no error finding.
EXPECTED_ERRORS: dict[str, set[str]] = {
    # PyYAML parse errors in the source (tabs, duplicate keys, bad escapes, {{templates}}).
    "kubernetes-website/controllers/job-pod-failure-policy-ignore.yaml": {"yaml-syntax"},
    "kubernetes-website/pods/inject/pod-multiple-secret-env-variable.yaml": {"yaml-syntax"},
    "kubernetes-website/pods/inject/envars-file-container.yaml": {"yaml-syntax"},
    "kubernetes-examples/_archived/storage/vitess/etcd-controller-template.yaml": {"yaml-syntax"},
    "kubernetes-examples/_archived/storage/vitess/vtgate-controller-template.yaml": {"yaml-syntax"},
    # Parse, but are not valid objects.
    "kubernetes-website/pods/inject/pod-single-secret-env-variable.yaml": {"missing-api-version"},
    "kubernetes-website/controllers/job-success-policy-example.yaml": {"required-field"},
    "kubernetes-website/pods/pod-with-node-affinity.yaml": {"field-type"},
    "kubernetes-website/deployments/deployment-with-capacity-reservation.yaml": {"required-field"},
    "kubernetes-website/application/job/job-tmpl.yaml": {"metadata-name"},
}


def corpus_files() -> list[str]:
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    with index.open() as fh:
        return [row["path"] for row in csv.DictReader(fh, delimiter="\t")]


def _key(path: str) -> str:
    """Corpus path without the manifests/ prefix and the website's content/en/examples part."""
    rel = path.removeprefix("manifests/")
    return rel.replace("kubernetes-website/content/en/examples/", "kubernetes-website/")


@pytest.mark.parametrize("path", corpus_files() or ["<corpus missing>"])
def test_corpus_manifest(path: str, shared: Path) -> None:
    """Does this real manifest load, check without crashing, and raise errors only when it should?"""
    results = check_file(CORPUS / path)
    assert results, "no documents loaded"
    rules = set().union(*(r.rules() for r in results))
    assert "internal-error" not in rules
    errors = {f.rule for r in results for f in r.findings if f.severity == "error"}
    expected = EXPECTED_ERRORS.get(_key(path))
    if expected is None:
        detail = [f"{r.index}: {f}" for r in results for f in r.findings if f.severity == "error"]
        assert not errors, f"unexpected errors: {detail}"
    else:
        assert expected & errors, f"expected one of {expected}, got {errors or 'no errors'}"


def test_expected_error_list_names_real_files(shared: Path) -> None:
    """Does every intentionally-invalid entry name a file that is really in the corpus?"""
    keys = {_key(p) for p in corpus_files()}
    assert set(EXPECTED_ERRORS) <= keys, set(EXPECTED_ERRORS) - keys
