-- A new pairing (结对共建) of village :village_code.
INSERT INTO cobuild_pairing (village_code, partner, agreement, yearly_commitment, since, account)
VALUES (:village_code, :partner, :agreement, :yearly_commitment, :since, :account)
RETURNING id
