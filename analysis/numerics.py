"""The numerical kernels every step runs on, pinned so that a results file is the same bytes on
any x86-64 machine (docs/method.md §11).

numpy and scipy pick their inner loops by the CPU they find: OpenBLAS its kernel (Haswell,
SkylakeX, ...), numpy its SIMD level (AVX2, AVX-512). Each kernel rounds the dot products inside
a Newton step differently, and the last digits of a certified optimum, and whole digits of a
barely identified bootstrap draw, follow. `pin` fixes both to the level every machine numpy
supports (x86-64-v2: OpenBLAS's Nehalem kernel, numpy's baseline loops) and one BLAS thread.
It acts through environment variables that the libraries read when they load, so it must run
before numpy is imported: `analysis/__init__.py` calls it, and every pipeline step starts there.
"""

from __future__ import annotations

import os
import sys

#: environment variables that fix the kernels (read by OpenBLAS and numpy when they load)
PINNED = {
    "OPENBLAS_CORETYPE": "Nehalem",
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}
#: set to 1 to run on the machine's own kernels (faster on some machines, not reproducible)
NATIVE = "ALGOPROGRESS_NATIVE_NUMERICS"


def pin() -> bool:
    """Set `PINNED` in the environment unless `NATIVE` is 1; True when the pin takes effect
    in this process (numpy not yet loaded)."""
    if os.environ.get(NATIVE) == "1":
        return False
    os.environ.update(PINNED)
    return "numpy" not in sys.modules


def describe() -> dict:
    """The kernels this process runs on: each BLAS library's kernel and threads, numpy's
    SIMD extensions in use, and whether they are the pinned ones."""
    from threadpoolctl import threadpool_info

    blas = sorted({(i.get("internal_api", ""), i.get("version") or "", i.get("architecture") or "",
                    int(i.get("num_threads", 0))) for i in threadpool_info()
                   if i.get("user_api") == "blas"})
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    simd = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    pinned = bool(blas) and not simd and all(
        api == "openblas" and kernel == PINNED["OPENBLAS_CORETYPE"] and threads == 1
        for api, _, kernel, threads in blas)
    return {"blas": [{"library": api, "version": version, "kernel": kernel, "threads": threads}
                     for api, version, kernel, threads in blas],
            "numpy_simd_extensions": simd, "pinned": pinned}
