"""One TLS context per process for Prefect's API clients, instead of one per client.

Prefect 3.8 builds a new ``ssl.SSLContext`` for every API client it opens, loading certifi's CA bundle each time
(21 ms here). A batch task in a worker process opens two or more clients (its run context and its task engine),
so the workers of a 100,000-article run spent some 2 s of CPU loading the same certificates, even for an
``http://`` API that never uses them. ``share_tls_context`` gives Prefect's client module a
``create_default_context`` that returns one shared, verifying context per CA file; every other use (no CA file, as
for ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY``, whose context Prefect then alters) still builds a new one. A CA
file changed while the process runs is read again only by a new process.
"""

from __future__ import annotations

import functools
import ssl
import types


@functools.cache
def _verifying_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def shared_default_context(
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
) -> ssl.SSLContext:
    """``ssl.create_default_context``, memoized for the one call Prefect's clients make (a server check by a CA
    file)."""
    if cafile is not None and capath is None and cadata is None and purpose == ssl.Purpose.SERVER_AUTH:
        return _verifying_context(cafile)
    return ssl.create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)


def share_tls_context() -> None:
    """Make Prefect's API clients in this process share their TLS context (idempotent)."""
    import prefect.client.orchestration as orchestration

    if getattr(orchestration.ssl, "create_default_context", None) is shared_default_context:
        return
    # A copy of the ssl module's namespace with one function replaced: the ssl module itself is left alone.
    orchestration.ssl = types.SimpleNamespace(
        **{**vars(ssl), "create_default_context": shared_default_context}
    )
