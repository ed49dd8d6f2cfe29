-- The balance of fund :fund_id: the sum of its entries.
SELECT balance FROM cobuild_fund_balance WHERE fund_id = :fund_id
