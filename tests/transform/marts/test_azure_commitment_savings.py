"""Azure reservation usage without a list price in the commitment marts.

Microsoft's FOCUS conformance summary: ListCost "isn't supported and is 0 for ... EA or MCA reservation usage", and
ContractedCost is 0 on MCA reservation usage (microsoft/finops-toolkit issues #873, #874). The marts then take the
covered usage's on-demand cost from ContractedCost, else EffectiveCost (the toolkit's fallback): its savings are
unknown (0), never minus its cost, and the reservation still covers the usage.
"""

from decimal import Decimal

from tests.helpers.transform import q, run
from tests.transform.raw import azure_rows, write_azure_month

D = Decimal
ORDERS = "/providers/Microsoft.Capacity/reservationOrders"
MCA, EA = f"{ORDERS}/o1/reservations/r1", f"{ORDERS}/o2/reservations/r2"


def usage(reservation: str, status: str, effective: float, contracted: float) -> dict:
    return dict(ChargeCategory="Usage", CommitmentDiscountId=reservation, CommitmentDiscountType="Reservation",
                CommitmentDiscountCategory="Usage", CommitmentDiscountName=reservation.rsplit("/", 1)[-1],
                CommitmentDiscountStatus=status, PricingCategory="Committed", BilledCost=0.0, EffectiveCost=effective,
                ListCost=0.0, ContractedCost=contracted, ServiceName="Virtual Machines", ServiceCategory="Compute",
                RegionId="eastus", BillingCurrency="USD")


def test_reservation_usage_without_list_cost_reports_no_negative_savings_nor_zero_coverage(data_dir):
    rows = [
        # MCA: ListCost and ContractedCost 0 -> the usage's EffectiveCost, savings unknown (0), not -60
        usage(MCA, "Used", 60.0, 0.0), usage(MCA, "Unused", 40.0, 0.0),
        # EA: ListCost 0, ContractedCost (the negotiated on-demand price) 80 -> savings 80 - 50 = 30
        usage(EA, "Used", 50.0, 80.0),
    ]
    write_azure_month(data_dir, "2026-09", azure_rows("2026-09", rows))
    run("azure")
    assert q("SELECT commitment_id, commitment_cost, used_commitment, covered_on_demand_cost, covered_effective_cost, "
             "realized_savings FROM finops.commitment_utilization_monthly WHERE provider = 'azure' ORDER BY 1") == [
        (MCA.lower(), D(100), D(60), D(60), D(60), D(0)), (EA.lower(), D(50), D(50), D(80), D(50), D(30))]
    assert q("SELECT sum(realized_savings) FROM finops.commitment_utilization_daily WHERE provider = 'azure'") == [
        (D(30),)]
    # the usage was covered by the reservations: 60 + 80 at on-demand, no on-demand usage beside it
    assert q("SELECT covered_on_demand_cost, eligible_on_demand_cost, coverage FROM finops.commitment_coverage_monthly "
             "WHERE provider = 'azure' AND service = 'Virtual Machines'") == [(D(140), D(140), 1.0)]
