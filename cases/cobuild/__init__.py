"""Co-building money of issue #18 (军民共建): what a partner unit gives a paired village and
what the village does with it.

- :mod:`cases.cobuild.money`: amounts as exact yuan with fen (``Decimal``), never floats;
- :mod:`cases.cobuild.pairings`: 结对共建 (partner unit, agreement, yearly commitment, since)
  and the paired villages as a map layer;
- :mod:`cases.cobuild.ledger`: a village's funds and their append-only ledger (receipts,
  expenses, reversals with a reason), balances that are the sum of their entries, projects;
- :mod:`cases.cobuild.schedule`: a loan's instalments and, on a date, what was due, paid, the
  arrears, the days overdue and the status (pure functions, with doctests);
- :mod:`cases.cobuild.loans`: the revolving fund (借鸡下蛋): cohorts, loans, repayments under a
  row lock, restructuring and write-off decisions, and the supervision sweep's overdue flags;
- :mod:`cases.cobuild.procurement`: 以买代帮 agreements, deliveries with acceptance, payments,
  income per household;
- :mod:`cases.cobuild.report`: the report per village (and its Excel columns).

Who may write: administrators and township accounts (a village secretary is a township
account held at its village); everyone reads only inside their scope, by village code prefix.
"""
