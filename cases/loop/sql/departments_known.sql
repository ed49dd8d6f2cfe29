-- Which of the department codes :codes exist.
SELECT code FROM department WHERE code = ANY(:codes)
