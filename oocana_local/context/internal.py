"""``context.internal`` and ``context.query_auth``: oocana's requests that only its cloud
engine answers, with oocana's checks and a clear word on what they do here."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NodeWeights", "query_auth_unavailable"]


class NodeWeights:
    """``context.internal``: ``update_node_weight(node_id, weight)`` tells oocana how much a
    node counts in its flow's progress. oocana-local counts every node alike, so a weight
    is checked as oocana checks it (a finite number >= 0, else ``ValueError``) and
    otherwise changes nothing."""

    __slots__ = ()

    async def update_node_weight(self, node_id: str, weight: float | int) -> None:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of node {node_id!r} must be a finite number >= 0, "
                             f"got {weight!r}")


def query_auth_unavailable(credential: Any) -> ValueError:
    """What ``context.query_auth`` raises: oocana asks OOMOL's cloud for the account a
    credential names; a local run has no account to ask."""
    name = getattr(credential, "id", credential)
    return ValueError(
        f"query_auth({name!r}): credentials are answered by OOMOL's cloud, which a local "
        "oocana-local run does not reach; pass what the block needs as an input (a secret "
        "input, see docs/secrets.md) instead")
