-- The whistler releases every department still there.
UPDATE whistle SET released_at = :at, released_by = :by WHERE id = :id
