"""Instruction of a dossier: the grant amount formula of the règlement (``amount``)."""
