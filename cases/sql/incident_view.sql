-- One incident as clients see it (personal data still raw: the view masks it).
{{incident_view}}
WHERE i.id = :id
