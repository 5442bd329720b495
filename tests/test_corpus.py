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
    # `selector` written twice: the API server's decoder rejects duplicate keys.
    "kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml": {"yaml-duplicate-key"},
    "kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml": {"yaml-duplicate-key"},
    "kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml": {"yaml-duplicate-key"},
    # Parse, but are not valid objects.
    "kubernetes-website/pods/inject/pod-single-secret-env-variable.yaml": {"missing-api-version"},
    "kubernetes-website/controllers/job-success-policy-example.yaml": {"metadata-name", "workload-restart-policy"},
    "kubernetes-website/pods/pod-with-node-affinity.yaml": {"field-type"},
    "kubernetes-website/deployments/deployment-with-capacity-reservation.yaml": {"required-field"},
    "kubernetes-website/application/job/job-tmpl.yaml": {"metadata-name", "label-format"},
    # Refused by the 1.37 API server with its default feature gates (tests/cluster/test_oracle.py shows it):
    # toleration operator Gt (alpha TaintTolerationComparisonOperators), pod-level `pids`, and an RC with
    # neither a selector nor template labels to default one from.
    "kubernetes-website/pods/pod-with-numeric-toleration.yaml": {"toleration-invalid"},
    "kubernetes-website/pods/resource/pod-level-pid-limit.yaml": {"pod-resource-name"},
    "kubernetes-examples/_archived/sysdig-cloud/sysdig-rc.yaml": {"selector-mismatch"},
    # Its own comment says ephemeralContainers cannot be set at create time.
    "kubernetes-website/pods/security/seccomp/fields.yaml": {"ephemeral-containers-forbidden"},
    # API versions removed long before 1.37 (policy/v1beta1 PDB, extensions/v1beta1, batch/v1beta1 CronJob).
    "kubernetes-examples/_archived/cockroachdb/cockroachdb-statefulset.yaml": {"unknown-kind"},
    "kubernetes-examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml": {"unknown-kind"},
    "kubernetes-examples/_archived/volumes/flexvolume/deploy/ds.yaml": {"unknown-kind"},
    "kubernetes-website/application/job/cronjob.yaml": {"unknown-kind"},
    # Archived in-tree volume examples: lower-case protocol "tcp", placeholders and fields that never existed.
    "kubernetes-examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml": {"enum-value"},
    "kubernetes-examples/_archived/volumes/cinder/cinder-web.yaml": {"enum-value"},
    "kubernetes-examples/_archived/volumes/fibre_channel/fc.yaml": {"field-type"},
    "kubernetes-examples/_archived/volumes/rbd/rbd.yaml": {"unknown-field"},
    "kubernetes-examples/_archived/volumes/scaleio/pod.yaml": {"unknown-field"},
    "kubernetes-examples/_archived/volumes/storageos/storageos-pod.yaml": {"unknown-field"},
    # A field from a website page for an unreleased feature; not in the 1.37 API.
    "kubernetes-website/pods/security/security-context-7.yaml": {"unknown-field"},
    # A kustomize `$patch: delete` stub, not an object.
    "microservices-demo/kustomize/components/without-loadgenerator/delete-loadgenerator.patch.yaml": {"required-field"},
    # `{{...}}` template text in the pod name.
    "kubernetes-examples/_archived/storage/vitess/vttablet-pod-template.yaml": {"metadata-name"},
    # Not in the corpus README: mounts `ca-certs` but the volume is named `ca`.
    "istio/samples/mtls-echo/mtls-echo.yaml": {"volume-mount-unknown"},
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
