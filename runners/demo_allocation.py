"""The demo's allocation: its finops_sql_config (cost centers by Kubernetes namespace, ECS cluster and team tag,
tax and credits shared proportionally, the sample's customer tags mapped to its Stripe customers) and the
showback summary `make demo` prints (cost center × provider for the latest month; unallocated shown; the total
is the bill)."""

from __future__ import annotations

from decimal import Decimal

from standins.sample_data.aws_allocation import CUSTOMERS

CENT = Decimal("0.01")
PROVIDERS = ("aws", "gcp", "azure")


def demo_sql_config(data: dict) -> dict:
    """finops_sql_config of the demo for the generated `data` (runners.demo.generate_sample_data: its AWS months
    and Stripe customers)."""
    stripe_ids = [customer["id"] for customer in data["stripe"]["customers"][:len(CUSTOMERS)]]

    def by_team(name: str, values) -> dict:
        return {"name": f"team {name}", "cost_center": name, "match": {"tags": {"team": values}}}

    return {
        "tag_keys": {"aws": ["user:team", "user:environment", "user:customer"]},
        "allocation": {
            "version": "demo-v1",
            "rules": [
                # split cost allocation data first: a cluster's instances are re-cut by namespace / workload
                {"name": "checkout pods", "cost_center": "checkout", "match": {"namespace": "checkout"}},
                {"name": "search pods", "cost_center": "search", "match": {"namespace": "search"}},
                {"name": "ecs billing", "cost_center": "payments", "match": {"cluster": "demo-ecs"}},
                by_team("payments", "payments"), by_team("search", "search"), by_team("web", "web"),
                by_team("data", ["data", "ml"]), by_team("platform", "platform"),
            ],
            "shared": [
                {"name": "tax", "match": {"charge_category": "Tax"}, "split": "proportional"},
                {"name": "credits", "match": {"charge_category": "Credit"}, "split": "proportional"},
            ],
        },
        "customers": {"tag": "customer", "mapping": dict(zip(CUSTOMERS, stripe_ids, strict=True))},
        # a budget per cost center and month (finops.budget_status): web's is tight, the platform's generous
        "budgets": [{"name": f"{center} {month}", "month": month, "amount": amount, "currency": "USD",
                     "scope": {"cost_center": center}}
                    for month in sorted(data["aws"]) for center, amount in (("web", "100"), ("platform", "100000"))],
    }


def showback_summary(query, month: str | None = None) -> tuple[str, list[str]]:
    """(the table, problems): billed cost per cost center and provider of the latest month (USD), with the
    total against the bill of monthly_cloud_costs; `query(sql)` returns (columns, rows)."""
    if month is None:
        month = query("SELECT max(month) FROM finops.showback_monthly")[1][0][0]
    rows = query("SELECT cost_center, provider, sum(total_cost) FROM finops.showback_monthly "
                 f"WHERE month = '{month}' AND currency = 'USD' GROUP BY cost_center, provider")[1]
    bill = dict(query("SELECT provider, sum(billed_cost) FROM finops.monthly_cloud_costs "
                      f"WHERE month = '{month}' AND currency = 'USD' GROUP BY provider")[1])
    centers: dict[str, dict[str, Decimal]] = {}
    for center, provider, cost in rows:
        centers.setdefault(center, {})[provider] = cost
    lines = [f"{'cost center':<14}" + "".join(f"{p:>14}" for p in (*PROVIDERS, "total"))]
    totals = dict.fromkeys(PROVIDERS, Decimal(0))
    for center in sorted(centers, key=lambda c: (c == "unallocated", c)):
        costs = [centers[center].get(p, Decimal(0)) for p in PROVIDERS]
        for provider, cost in zip(PROVIDERS, costs, strict=True):
            totals[provider] += cost
        lines.append(f"{center:<14}" + "".join(f"{c.quantize(CENT):>14,}" for c in (*costs, sum(costs))))
    lines.append(f"{'total':<14}" + "".join(f"{c.quantize(CENT):>14,}" for c in (*totals.values(), sum(totals.values()))))
    lines.append(f"{'the bill':<14}" + "".join(f"{bill.get(p, Decimal(0)).quantize(CENT):>14,}" for p in PROVIDERS)
                 + f"{sum(bill.values(), Decimal(0)).quantize(CENT):>14,}")
    problems = [f"{month} {p}: showback {totals[p]} != bill {bill.get(p, Decimal(0))}" for p in PROVIDERS
                if (totals[p] - bill.get(p, Decimal(0))).copy_abs() >= Decimal("0.005")]
    return f"Showback {month} (USD, allocation demo-v1)\n" + "\n".join(lines), problems


def print_showback(data_dir, month: str | None = None) -> bool:
    """Print the showback summary of `month` (default: the newest) of the demo's embedded ClickHouse in `data_dir`;
    False when it misses the bill."""
    import os

    os.environ["FINOPS_DATA_DIR"] = str(data_dir)
    from include.transform import query

    table, problems = showback_summary(lambda sql: query(sql, destination="filesystem"), month)
    print(table)
    if problems:
        print("SHOWBACK DOES NOT ADD UP TO THE BILL:\n  " + "\n  ".join(problems))
        return False
    print("Showback = the bill per provider to the cent (unallocated: cost no rule maps; tax and credits shared "
          "by direct cost; Kubernetes instances re-cut by namespace).")
    return True
