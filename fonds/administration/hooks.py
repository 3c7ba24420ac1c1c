"""Registered at start-up: the documents of the stages read a campaign's texts from here."""

from fonds.documents import texts as document_texts

from .texts import texts_for


def register() -> None:
    document_texts.register(texts_for)
