"""A throwaway certificate authority (trustme) for HTTPS and WSS tests."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import NamedTuple

import pytest


class Certificate(NamedTuple):
    certfile: Path  # the server's certificate chain (PEM), as `--certfile` / nginx's fullchain
    keyfile: Path
    client: ssl.SSLContext  # trusts only this authority


def throwaway_certificate(folder: Path, *hosts: str) -> Certificate:
    """A server certificate for `hosts` from a new authority, written into `folder`."""
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    issued = authority.issue_cert(*hosts)
    certfile, keyfile = folder / "fullchain.pem", folder / "privkey.pem"
    issued.cert_chain_pems[0].write_to_path(certfile)
    for blob in issued.cert_chain_pems[1:]:
        blob.write_to_path(certfile, append=True)
    issued.private_key_pem.write_to_path(keyfile)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return Certificate(certfile, keyfile, client)
