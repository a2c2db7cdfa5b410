"""Intake: leads that wait (captured, imported, sent back by a manager) are screened and
routed by a drain (`drain`), which a committed lead asks for with a kick (`kick`)."""
