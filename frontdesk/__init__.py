"""frontdesk: self-hosted live chat for customer support."""

import os

__version__ = "0.1.0"

# numpy's BLAS (OpenBLAS) starts a thread per core for every matrix operation. A server answers
# requests side by side, and the staffing forecast's small least-squares fits ran 7x the CPU
# (4 s instead of 0.55 s for a department's week, docs/staffing.md) with threads fighting for the
# cores. One thread each, unless the operator says otherwise; set before numpy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
