"""Certificates and kubeconfigs of the local engine: one CA, one key pair per identity.

The identities are the ones kubeadm gives a control plane: the API server's serving certificate,
its client certificate for kubelets, the controller manager, the scheduler, the node (Node
authorizer: `system:node:<name>` in `system:nodes`), the admin (`system:masters`), and the
service-account signing key. Everything is written once per cluster and removed by `down`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml


def _crypto():  # imported lazily: only `cluster up --engine local` needs it
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    return x509, hashes, serialization, ec, rsa, ExtendedKeyUsageOID, NameOID


@dataclass
class Identity:
    """A certificate to issue: subject CN and O, server or client use, alternative names."""

    file: str
    cn: str
    orgs: tuple[str, ...] = ()
    server: bool = False
    client: bool = False
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key) -> bytes:
    _, _, serialization, *_ = _crypto()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str, orgs: Sequence[str] = ()):
    x509, *_, NameOID = _crypto()
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def make_ca(directory: Path, cn: str = "pod-course-local-ca", days: int = 3650) -> None:
    """A self-signed CA: ca.crt and ca.key in `directory`."""
    x509, hashes, serialization, ec, _, _, _ = _crypto()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(directory / "ca.key", _key_pem(key))


def issue(directory: Path, ident: Identity, days: int = 3650) -> None:
    """`<file>.crt` and `<file>.key` for `ident`, signed by the CA in `directory`."""
    x509, hashes, serialization, ec, _, EKU, _ = _crypto()
    ca_cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    usages = ([EKU.SERVER_AUTH] if ident.server else []) + ([EKU.CLIENT_AUTH] if ident.client else [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(ident.cn, ident.orgs)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                     crl_sign=False, content_commitment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    sans = [x509.DNSName(d) for d in ident.dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ident.ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    (directory / f"{ident.file}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(directory / f"{ident.file}.key", _key_pem(key))


def make_service_account_key(directory: Path) -> None:
    """sa.key / sa.pub: the key pair that signs and verifies service-account tokens."""
    _, _, serialization, _, rsa, _, _ = _crypto()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(directory / "sa.key", _key_pem(key))
    (directory / "sa.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def kubeconfig(path: Path, *, server: str, ca: Path, cert: Path, key: Path, context: str, user: str) -> None:
    """A kubeconfig with one cluster, one user and one context (the files are referenced, not embedded)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": user, "user": {"client-certificate": str(cert), "client-key": str(key)}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
        "current-context": context,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)


def control_plane(directory: Path, *, node: str, node_ips: Sequence[str], service_ip: str) -> None:
    """Every certificate and key the local cluster needs, in `directory`."""
    make_ca(directory)
    make_service_account_key(directory)
    api_dns = ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
               "localhost", node)
    for ident in (
        Identity("apiserver", "kube-apiserver", server=True, dns=api_dns, ips=("127.0.0.1", service_ip, *node_ips)),
        Identity("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",),
                 client=True),
        Identity("etcd", "etcd", server=True, client=True, dns=("localhost",), ips=("127.0.0.1",)),
        Identity("admin", "pod-course-admin", ("system:masters",), client=True),
        Identity("controller-manager", "system:kube-controller-manager", client=True),
        Identity("scheduler", "system:kube-scheduler", client=True),
        Identity("kubelet-client", f"system:node:{node}", ("system:nodes",), client=True),
        Identity("kubelet", node, server=True, dns=(node, "localhost"), ips=("127.0.0.1", *node_ips)),
    ):
        issue(directory, ident)
