"""Work: the owner's workspace on a lead — touches, dispositions, notes."""
