-- Summon one department on whistle :whistle_id, with its deadlines.
INSERT INTO whistle_department (whistle_id, department_id, lead, acknowledge_due, respond_due,
                                arrive_due)
VALUES (:whistle_id, :department_id, :lead, :acknowledge_due, :respond_due, :arrive_due)
