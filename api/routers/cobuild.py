"""Co-building money (issue #18): pairings, funds and their ledger, projects, the revolving
fund's cohorts and loans, directed procurement, the report per village, and the village's
ledger page (``/maps/cobuild``). Each handler calls one function of :mod:`cases.cobuild`;
writes run in one transaction with their audit entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api import cobuild_schemas as s
from api.auth import Reader, Reporter, page
from api.deps import ConnDep, EngineDep
from api.routers.maps import viewer
from api.schemas import Error
from api.xlsx import AS_XLSX, workbook_response
from cases.cobuild import common, ledger, loans, pairings, procurement, report
from maps import cobuild as cobuild_page

router = APIRouter(tags=["cobuild"])
pages = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    422: {"model": Error},
}
Village = Annotated[str | None, Query(max_length=32, description="A village's code.")]
AsOf = Annotated[date | None, Query(description="The day the loans stand on; default today.")]
TableFormat = Annotated[Literal["json", "xlsx"], Query(description="json, or xlsx (Excel)")]
AS_TABLE: dict[int | str, dict[str, Any]] = {**ERRORS, 200: {"content": AS_XLSX}}


def _when(as_of: date | None) -> date:
    return as_of or common.today()


@router.post("/pairings", response_model=s.Pairing, status_code=201, responses=ERRORS,
             summary="登记结对共建（结对单位、协议、年度承诺、起始日期）")  # fmt: skip
def record_pairing(body: s.PairingIn, engine: EngineDep, principal: Reporter) -> dict[str, Any]:
    with engine.begin() as conn:
        return pairings.record(conn, principal, pairings.PairingIn(**body.model_dump()))


@router.get("/pairings", response_model=list[s.Pairing], summary="结对共建及累计到位资金")
def list_pairings(conn: ConnDep, principal: Reader, village: Village = None) -> Any:
    return pairings.pairings(conn, principal.scope, village=village)


@router.get("/pairings/map", summary="结对共建村（GeoJSON：结对单位、年份、资金）")
def paired_villages(conn: ConnDep, principal: Reader) -> dict[str, Any]:
    return pairings.paired_villages(conn, principal.scope)


@router.post("/funds", response_model=s.Fund, status_code=201, responses=ERRORS,
             summary="建立村级共建资金（含借鸡下蛋借款条件）")  # fmt: skip
def create_fund(body: s.FundIn, engine: EngineDep, principal: Reporter) -> dict[str, Any]:
    with engine.begin() as conn:
        return ledger.create_fund(conn, principal, ledger.FundIn(**body.model_dump()))


@router.get("/funds", response_model=list[s.Fund], summary="村级资金：条件、余额、收支")
def list_funds(conn: ConnDep, principal: Reader, village: Village = None) -> Any:
    return ledger.funds(conn, principal.scope, village=village)


@router.get("/funds/{fund_id}", response_model=s.Fund, responses=ERRORS, summary="一项资金")
def get_fund(fund_id: int, conn: ConnDep, principal: Reader) -> Any:
    return ledger.get_fund(conn, principal.scope, fund_id)


@router.get("/funds/{fund_id}/ledger", response_model=s.Ledger, responses=AS_TABLE,
            summary="资金台账（逐笔、滚动余额）；format=xlsx 下载")  # fmt: skip
def fund_ledger(
    fund_id: int,
    conn: ConnDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    format: TableFormat = "json",
) -> Any:
    found = ledger.ledger(conn, principal.scope, fund_id, year=year)
    if format == "xlsx":
        rows = report.excel_rows(found["entries"])
        return workbook_response(rows, report.LEDGER_COLUMNS, f"{found['fund']['name']}台账")
    return found


@router.post("/funds/{fund_id}/entries", response_model=s.Entry, status_code=201,
             responses=ERRORS, summary="记一笔收入（须注明结对）或支出")  # fmt: skip
def post_entry(
    fund_id: int, body: s.EntryIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return ledger.post(conn, principal, fund_id, ledger.EntryIn(**body.model_dump()))


@router.post("/funds/{fund_id}/entries/{entry_id}/reverse", response_model=s.Entry,
             status_code=201, responses=ERRORS, summary="冲正一笔分录（须写明原因）")  # fmt: skip
def reverse_entry(
    fund_id: int, entry_id: int, body: s.ReversalIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return ledger.reverse(conn, principal, fund_id, entry_id, body.reason)


@router.patch("/funds/{fund_id}/entries/{entry_id}", responses=ERRORS, status_code=204,
              summary="已入账的分录不可修改：以冲正更正")  # fmt: skip
@router.delete("/funds/{fund_id}/entries/{entry_id}", responses=ERRORS, status_code=204,
               summary="已入账的分录不可删除：以冲正更正")  # fmt: skip
def refuse_edit(fund_id: int, entry_id: int, conn: ConnDep, principal: Reporter) -> None:
    ledger.refuse_edit(conn, principal.scope, fund_id, entry_id)


@router.post("/funds/{fund_id}/projects", response_model=s.Project, status_code=201,
             responses=ERRORS, summary="年度项目计划（预算）")  # fmt: skip
def create_project(
    fund_id: int, body: s.ProjectIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return ledger.create_project(
            conn, principal, fund_id, ledger.ProjectIn(**body.model_dump())
        )


@router.post("/funds/{fund_id}/projects/{project_id}/done", response_model=s.Project,
             responses=ERRORS, summary="项目完成（佐证材料）")  # fmt: skip
def complete_project(
    fund_id: int, project_id: int, body: s.ProjectDoneIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return ledger.complete_project(
            conn, principal, fund_id, project_id, body.completed_on, body.evidence
        )


@router.get("/funds/{fund_id}/projects", response_model=list[s.Project], responses=ERRORS,
            summary="项目：计划、预算、支出、完成")  # fmt: skip
def list_projects(fund_id: int, conn: ConnDep, principal: Reader) -> Any:
    ledger.get_fund(conn, principal.scope, fund_id)
    return ledger.projects(conn, principal.scope, fund_id=fund_id)


@router.post("/funds/{fund_id}/cohorts", response_model=s.Cohort, status_code=201,
             responses=ERRORS, summary="借鸡下蛋：本年度扶持户（决议、公示日期）")  # fmt: skip
def create_cohort(
    fund_id: int, body: s.CohortIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return loans.create_cohort(conn, principal, fund_id, loans.CohortIn(**body.model_dump()))


@router.get("/funds/{fund_id}/cohorts", response_model=list[s.Cohort], responses=ERRORS,
            summary="借鸡下蛋：历年扶持户批次")  # fmt: skip
def list_cohorts(fund_id: int, conn: ConnDep, principal: Reader) -> Any:
    ledger.get_fund(conn, principal.scope, fund_id)
    return loans.cohorts(conn, principal.scope, fund_id=fund_id)


@router.post("/loans", response_model=s.Loan, status_code=201, responses=ERRORS,
             summary="借鸡下蛋：向本批扶持户借出启动资金")  # fmt: skip
def disburse(body: s.LoanIn, engine: EngineDep, principal: Reporter) -> dict[str, Any]:
    with engine.begin() as conn:
        return loans.disburse(conn, principal, loans.LoanIn(**body.model_dump()))


@router.get("/loans", response_model=list[s.Loan], summary="借款：应还、已还、欠款、逾期天数、状态")
def list_loans(
    conn: ConnDep,
    principal: Reader,
    village: Village = None,
    fund_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[
        Literal["current", "overdue", "restructured", "written_off", "cleared"] | None, Query()
    ] = None,
    as_of: AsOf = None,
) -> Any:
    return loans.loans(
        conn, principal.scope, _when(as_of), village=village, fund_id=fund_id, status=status
    )


@router.get(
    "/loans/flags", response_model=list[s.Flag], summary="逾期 30 天以上的借款（村委会、镇）"
)
def loan_flags(conn: ConnDep, principal: Reader) -> Any:
    return loans.flags(conn, principal.scope)


@router.get("/loans/{loan_id}", response_model=s.Loan, responses=ERRORS,
            summary="一笔借款：还款计划、还款、决议")  # fmt: skip
def get_loan(loan_id: int, conn: ConnDep, principal: Reader, as_of: AsOf = None) -> Any:
    return loans.get_loan(conn, principal.scope, loan_id, _when(as_of))


@router.post("/loans/{loan_id}/repayments", response_model=s.Loan, status_code=201,
             responses=ERRORS, summary="还款（超过应还部分须标明提前还款）")  # fmt: skip
def repay(
    loan_id: int, body: s.RepaymentIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return loans.repay(conn, principal, loan_id, loans.RepaymentIn(**body.model_dump()))


@router.post("/loans/{loan_id}/decisions", response_model=s.Loan, status_code=201,
             responses=ERRORS, summary="借款重组或核销（须有决议）")  # fmt: skip
def decide(
    loan_id: int, body: s.DecisionIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return loans.decide(conn, principal, loan_id, loans.DecisionIn(**body.model_dump()))


@router.post("/procurement", response_model=s.Agreement, status_code=201, responses=ERRORS,
             summary="以买代帮：定向采购协议（产品、价格规则、预计数量）")  # fmt: skip
def create_agreement(body: s.AgreementIn, engine: EngineDep, principal: Reporter) -> dict[str, Any]:
    fields = body.model_dump()
    fields["products"] = [
        procurement.Product(**p | {"expected_quantity": _quantity(p["expected_quantity"])})
        for p in fields["products"]
    ]
    with engine.begin() as conn:
        return procurement.create_agreement(conn, principal, procurement.AgreementIn(**fields))


def _quantity(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@router.get("/procurement", response_model=list[s.Agreement], summary="定向采购协议及供货、付款")
def list_agreements(conn: ConnDep, principal: Reader, village: Village = None) -> Any:
    return procurement.agreements(conn, principal.scope, village=village)


@router.get("/procurement/{agreement_id}", response_model=s.Agreement, responses=ERRORS,
            summary="一项采购协议及逐批供货")  # fmt: skip
def get_agreement(agreement_id: int, conn: ConnDep, principal: Reader) -> Any:
    return procurement.get_agreement(conn, principal.scope, agreement_id)


@router.post("/procurement/{agreement_id}/deliveries", status_code=201, responses=ERRORS,
             summary="供货及质量验收")  # fmt: skip
def deliver(
    agreement_id: int, body: s.DeliveryIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    fields = body.model_dump() | {
        "quantity": Decimal(body.quantity),
        "accepted": Decimal(body.accepted),
    }
    with engine.begin() as conn:
        return procurement.deliver(conn, principal, agreement_id, procurement.DeliveryIn(**fields))


@router.post("/procurement/{agreement_id}/payments", response_model=s.Payment,
             status_code=201, responses=ERRORS, summary="采购付款（按批）")  # fmt: skip
def pay(
    agreement_id: int, body: s.PaymentIn, engine: EngineDep, principal: Reporter
) -> dict[str, Any]:
    with engine.begin() as conn:
        return procurement.pay(
            conn, principal, agreement_id, body.delivery_id, body.amount, body.paid_on,
            body.voucher,
        )  # fmt: skip


@router.get("/cobuild/report", response_model=s.Report, responses=AS_TABLE,
            summary="结对共建报表（按村）；format=xlsx 下载")  # fmt: skip
def cobuild_report(
    conn: ConnDep,
    principal: Reader,
    village: Village = None,
    as_of: AsOf = None,
    format: TableFormat = "json",
) -> Any:
    when = _when(as_of)
    villages = report.village_report(conn, principal.scope, when, village=village)
    if format == "xlsx":
        return workbook_response(report.excel_rows(villages), report.COLUMNS, "结对共建报表")
    income = procurement.household_income(conn, principal.scope, village=village)
    return {"as_of": when.isoformat(), "villages": villages, "income": income}


@router.post("/cobuild/notices", response_model=s.Notice, status_code=201, responses=ERRORS,
             summary="发布村级结对共建资金公示（公示期）")  # fmt: skip
def publish_notice(body: s.NoticeIn, engine: EngineDep, principal: Reporter) -> dict[str, Any]:
    with engine.begin() as conn:
        return report.publish_notice(conn, principal, body.village, body.published_on, body.days)


@router.get("/cobuild/notices", response_model=list[s.Notice], summary="已发布的公示")
def list_notices(conn: ConnDep, principal: Reader, village: Village = None) -> Any:
    return report.notices(conn, principal.scope, village=village)


@pages.get("/cobuild", summary="结对共建：各村报表；村级资金台账（可打印公示）")
@page
def cobuild_ledger_page(
    conn: ConnDep,
    principal: Reader,
    village: Annotated[
        str | None,
        Query(min_length=1, max_length=32, description="A village's code; without: the report."),
    ] = None,
) -> Response:
    if village is None:
        return HTMLResponse(cobuild_page.report_page(conn, principal.scope, viewer(principal)))
    status, html = cobuild_page.ledger_page(conn, principal.scope, village, viewer(principal))
    return HTMLResponse(html, status)
