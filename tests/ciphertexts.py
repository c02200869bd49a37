"""Ciphertexts of the form Pulumi's passphrase secrets manager writes, for stack files in tests."""

from __future__ import annotations

import base64
import hashlib


def ciphertext(label: str) -> str:
    """`v1:<12-byte nonce>:<sealed text>`, both base64 (pulumi/pulumi sdk/go/common/resource/config/crypt.go),
    made of `label`'s hash: well-formed and distinct per label, decryptable by nothing."""
    digest = hashlib.sha256(label.encode()).digest()
    return f"v1:{base64.b64encode(digest[:12]).decode()}:{base64.b64encode(digest).decode()}"
