-- A published public notice (公示) of village :village_code with the figures it showed.
INSERT INTO cobuild_notice (village_code, title, published_on, until_on, summary, account)
VALUES (:village_code, :title, :published_on, :until_on, CAST(:summary AS jsonb), :account)
RETURNING id
