"""Modules that Great Expectations imports at start-up but that a newsetl run never uses, imported on first use.

GE 1.x imports every expectation class when it starts, and one of them (``ExpectColumnKlDivergenceToBeLessThan``)
imports SciPy's ``stats`` and Altair at module level: 1.4 s of GE's 3.6 s import on this project's machine, paid by
every ``newsetl run`` that validates in its own process and by every process pool's fork server. No expectation of
ours (and nothing in the Data Docs we render) touches either. A stand-in module takes their place in
``sys.modules`` until an attribute is first read; from then on it is the real module, so code that does use them
(the KL expectation, an analyst's notebook in the same process) works unchanged, a moment later.

``importlib.util.LazyLoader`` cannot do this on Python 3.11: ``import altair`` itself reads the module's
``__spec__`` to see whether it is still initialising, and that read runs the whole import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

UNUSED_BY_GREAT_EXPECTATIONS_START = ("altair", "scipy.stats")
_loading = threading.RLock()


class DeferredModule(types.ModuleType):
    """Stands in for a module in ``sys.modules``; the first attribute read that it lacks imports the real one."""

    def __getattr__(self, attribute: str):
        return getattr(self._become_real(), attribute)

    def __dir__(self) -> list[str]:
        return dir(self._become_real())

    def _become_real(self) -> types.ModuleType:
        with _loading:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            module = importlib.import_module(self.__name__)
            # Whoever bound the stand-in (``import altair as alt``) reads the real module's names from now on.
            vars(self).update(vars(module))
        return module


def defer_import(name: str) -> None:
    """Put a ``DeferredModule`` for ``name`` in ``sys.modules`` unless it is imported already or not installed.

    Its parent packages are imported now (finding ``scipy.stats`` imports ``scipy``, which is cheap).
    """
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    stand_in = DeferredModule(name)
    stand_in.__spec__ = spec
    stand_in.__loader__ = spec.loader
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)


def defer_unused_imports() -> None:
    """Defer every module in ``UNUSED_BY_GREAT_EXPECTATIONS_START``; call it before importing GE."""
    for name in UNUSED_BY_GREAT_EXPECTATIONS_START:
        defer_import(name)
