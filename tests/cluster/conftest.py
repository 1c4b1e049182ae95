"""The cluster these tests run against: its own PostgreSQL and Redis, three nodes, nginx.

One cluster per test module (see harness.py); clients reach it through nginx
(`cluster.url`), or a node directly (`cluster.nodes[i].base_url`) to pin a side to a node.
Node, nginx, Redis and PostgreSQL logs are copied to $FRONTDESK_TEST_ARTIFACTS/cluster-<module>/.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.cluster.harness import Cluster, start_cluster, stop_cluster
from tests.services import artifacts_dir


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    module = request.module.__name__.rsplit(".", 1)[-1]
    c = await start_cluster(tmp_path_factory.mktemp(f"cluster-{module}"))
    yield c
    await stop_cluster(c, artifacts_dir() / f"cluster-{module}")


@pytest_asyncio.fixture(loop_scope="session")
async def nodes_up(cluster: Cluster) -> Cluster:
    """The cluster with all three nodes running (a failed test may have left one down)."""
    await cluster.ensure_nodes_up()
    return cluster
