"""Prefect's API clients in one process share a TLS context (flows.prefect_tls)."""

from __future__ import annotations

import ssl

import certifi


def _tls_context(client) -> ssl.SSLContext:
    return client._client._transport._pool._ssl_context


def test_prefect_clients_share_one_verifying_context_and_the_ssl_module_is_left_alone(
    prefect_harness: str,
) -> None:
    from prefect.client.orchestration import get_client

    import flows.pipeline  # noqa: F401  (importing the flow shares the context)

    sync_client, async_client = get_client(sync_client=True), get_client()
    shared = _tls_context(sync_client)
    assert _tls_context(async_client) is shared is _tls_context(get_client(sync_client=True))
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
    assert shared.cert_store_stats()["x509_ca"] > 0  # certifi's bundle is loaded: it still verifies
    # Contexts asked for otherwise (Prefect alters the one it builds without a CA file) are new every time.
    from flows.prefect_tls import shared_default_context

    assert shared_default_context() is not shared_default_context()
    assert shared_default_context(cafile=certifi.where()) is shared_default_context(cafile=certifi.where())
    assert ssl.create_default_context(cafile=certifi.where()) is not shared
