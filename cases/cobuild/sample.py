"""The sample ledger of 团结新村 (``sample_data/cobuild.json``, from ``sample_data/cobuild.py``)
posted through the ledger's own functions, in booking order, as the system: every rule a
village secretary meets (a receipt names its pairing, no loan beyond the balance or to a
household in arrears, no repayment above what is due unless a prepayment) holds for the
sample too, or the load fails. Skipped when the file or its village is missing."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from access import audit
from access.accounts import ROLE_LABELS, Role
from cases.cobuild import ledger, loans, pairings, procurement, report
from geo.scope import WHOLE_BANNER, Scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _System:
    """The sample's bookkeeper: the system, seeing everything."""

    role: Role = Role.ADMIN
    role_label: str = ROLE_LABELS[Role.ADMIN]
    scope: Scope = WHOLE_BANNER
    actor: audit.Actor = audit.SYSTEM


def load_cobuild(conn: Connection, folder: Path) -> int:
    """Post the sample ledger; how many events were posted (0 when skipped)."""
    path = folder / "cobuild.json"
    if not path.exists():
        return 0
    sample = json.loads(path.read_text(encoding="utf-8"))
    known = conn.execute(
        text("SELECT 1 FROM area WHERE code = :c AND level = 'village'"), {"c": sample["village"]}
    ).first()
    if known is None:
        log.warning("sample co-building ledger skipped: no village %s", sample["village"])
        return 0
    Loader(conn, sample).run()
    log.info("sample co-building ledger: %d events", len(sample["events"]))
    return len(sample["events"])


class Loader:
    def __init__(self, conn: Connection, sample: dict[str, Any]) -> None:
        self.conn, self.sample, self.who = conn, sample, _System()
        self.cohorts: dict[int, int] = {}
        self.loans: dict[str, int] = {}
        self.projects: list[int] = []
        self.deliveries: dict[int, int] = {}

    def run(self) -> None:
        conn, who, sample = self.conn, self.who, self.sample
        p = sample["pairing"]
        pairing = pairings.record(
            conn,
            who,
            pairings.PairingIn(
                sample["village"], p["partner"], p["agreement"],
                Decimal(p["yearly_commitment"]), date.fromisoformat(p["since"]),
            ),
        )  # fmt: skip
        self.pairing_id = pairing["id"]
        fund = ledger.FundIn(sample["village"], sample["fund"]["name"], self.pairing_id)
        self.fund_id = ledger.create_fund(conn, who, fund)["id"]
        for project in sample["projects"]:
            made = ledger.ProjectIn(
                project["year"], project["name"], Decimal(project["budget"]), project["plan"]
            )
            self.projects.append(ledger.create_project(conn, who, self.fund_id, made)["id"])
        for event in sample["events"]:
            getattr(self, f"_{event['op']}")(event, date.fromisoformat(event["on"]))

    def _receipt(self, e: dict[str, Any], on: date) -> None:
        entry = ledger.EntryIn(
            "receipt", Decimal(e["amount"]), on, e["purpose"], e["voucher"], self.pairing_id
        )
        ledger.post(self.conn, self.who, self.fund_id, entry)

    def _expense(self, e: dict[str, Any], on: date) -> None:
        entry = ledger.EntryIn(
            "expense", Decimal(e["amount"]), on, e["purpose"], e["voucher"],
            project_id=self.projects[e["project"]],
        )  # fmt: skip
        ledger.post(self.conn, self.who, self.fund_id, entry)

    def _complete(self, e: dict[str, Any], on: date) -> None:
        project = self.projects[e["project"]]
        ledger.complete_project(self.conn, self.who, self.fund_id, project, on, e["evidence"])

    def _cohort(self, e: dict[str, Any], on: date) -> None:
        cohort = loans.CohortIn(
            e["year"], e["decision"], date.fromisoformat(e["decided_on"]),
            date.fromisoformat(e["notice_on"]),
        )  # fmt: skip
        self.cohorts[e["year"]] = loans.create_cohort(self.conn, self.who, self.fund_id, cohort)[
            "id"
        ]

    def _loan(self, e: dict[str, Any], on: date) -> None:
        loan = loans.LoanIn(
            self.cohorts[e["cohort"]], e["household"], e["borrower"], on, e["voucher"]
        )
        self.loans[e["household"]] = loans.disburse(self.conn, self.who, loan)["id"]

    def _repay(self, e: dict[str, Any], on: date) -> None:
        repayment = loans.RepaymentIn(Decimal(e["amount"]), on, e["voucher"], e["prepayment"])
        loans.repay(self.conn, self.who, self.loans[e["household"]], repayment)

    def _restructure(self, e: dict[str, Any], on: date) -> None:
        decision = loans.DecisionIn(
            "restructure", e["decision"], on, Decimal(e["instalment"]), e["years"],
            date.fromisoformat(e["first_due_on"]),
        )  # fmt: skip
        loans.decide(self.conn, self.who, self.loans[e["household"]], decision)

    def _agreement(self, e: dict[str, Any], on: date) -> None:
        a = self.sample["agreement"]
        products = [
            procurement.Product(
                p["name"], p["unit"], Decimal(p["price"]), Decimal(p["expected_quantity"])
            )
            for p in a["products"]
        ]
        made = procurement.AgreementIn(
            self.sample["village"], a["buyer"], products, a["price_rule"], on, self.pairing_id
        )
        self.agreement_id = procurement.create_agreement(self.conn, self.who, made)["id"]

    def _delivery(self, e: dict[str, Any], on: date) -> None:
        delivery = procurement.DeliveryIn(
            e["household"], e["product"], on, Decimal(e["quantity"]), Decimal(e["accepted"]),
            e["quality"], Decimal(e["price"]),
        )  # fmt: skip
        made = procurement.deliver(self.conn, self.who, self.agreement_id, delivery)
        self.deliveries[e["key"]] = made["id"]
        self.amounts = getattr(self, "amounts", {}) | {made["id"]: Decimal(made["amount"])}

    def _payment(self, e: dict[str, Any], on: date) -> None:
        delivery = self.deliveries[e["delivery"]]
        procurement.pay(
            self.conn, self.who, self.agreement_id, delivery, self.amounts[delivery], on,
            e["voucher"],
        )  # fmt: skip

    def _notice(self, e: dict[str, Any], on: date) -> None:
        report.publish_notice(self.conn, self.who, self.sample["village"], on, e["days"])
