"""What the AKS walk-through's node pools cost per hour, from Microsoft's public price list.

    python3 deploy/aks/cost.py westeurope

Asks the Azure Retail Prices API (no account needed; the prices of that day, in USD,
pay-as-you-go, Linux) for each VM size of the pools that deploy/helm/README.md creates, and
prints the pools, their hourly price and the total. The disks, the registry and the network
cost a little more; AKS's control plane is free on its Free tier.
https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices
"""

from __future__ import annotations

import datetime
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

API = "https://prices.azure.com/api/retail/prices"
# (pool, VM size, nodes), as deploy/helm/README.md creates them (test_topology.py checks it).
POOLS = (
    ("system", "Standard_D4as_v5", 2),
    ("django", "Standard_D8as_v5", 1),
    ("flask", "Standard_D8as_v5", 1),
    ("fastapi", "Standard_D8as_v5", 1),
    ("starlette", "Standard_D8as_v5", 1),
    ("djangothread", "Standard_D8as_v5", 1),
    ("flaskthreads", "Standard_D8as_v5", 1),
    ("mysql", "Standard_D16as_v5", 1),
    ("load8v5", "Standard_D8as_v5", 4),
    ("load8v3", "Standard_D8s_v3", 4),
    ("load4v4", "Standard_D4as_v4", 4),
)


def linux_hourly(items: Iterable[Mapping[str, Any]]) -> float:
    """The pay-as-you-go Linux price per hour among one size's price list items."""
    prices = [
        float(item["retailPrice"])
        for item in items
        if item.get("type") == "Consumption"
        and item.get("unitOfMeasure") == "1 Hour"
        and "Windows" not in item.get("productName", "")
        and not any(word in item.get("skuName", "") for word in ("Spot", "Low Priority"))
    ]
    if not prices:
        raise LookupError("no pay-as-you-go Linux price")
    return min(prices)


def price_items(location: str, size: str) -> list[dict[str, Any]]:
    query = (
        f"serviceName eq 'Virtual Machines' and armRegionName eq '{location}'"
        f" and armSkuName eq '{size}' and priceType eq 'Consumption'"
    )
    url = f"{API}?{urllib.parse.urlencode({'$filter': query})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return list(json.load(response)["Items"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 deploy/aks/cost.py LOCATION (e.g. westeurope)", file=sys.stderr)
        return 2
    (location,) = argv
    total = 0.0
    # timezone.utc, not datetime.UTC: this runs on the user's python3, 3.9 or later.
    today = datetime.datetime.now(datetime.timezone.utc).date()  # noqa: UP017
    print(f"{location}, {today}, USD per hour, pay-as-you-go Linux ({API})")
    for pool, size, nodes in POOLS:
        hourly = linux_hourly(price_items(location, size))
        total += hourly * nodes
        print(f"  {pool:<10} {nodes:>2} x {size:<18} {hourly:7.3f} = {hourly * nodes:7.3f}")
    print(f"  total {total:.2f} per hour for the VMs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
