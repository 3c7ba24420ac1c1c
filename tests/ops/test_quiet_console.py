"""Quiet consoles: libraries' INFO chatter (WeasyPrint prints a line per font and per ignored CSS
property of every PDF) stays out of the logs; their warnings still show."""

import logging

from fonds.documents.pdf import write_pdf


def test_weasyprint_info_lines_never_reach_the_console(caplog):
    with caplog.at_level(logging.DEBUG, logger="fonds"):
        write_pdf("<html><body><p>Bonjour la commune</p></body></html>")
    assert logging.getLogger("weasyprint").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING
    assert not [
        r
        for r in caplog.records
        if r.name.startswith(("weasyprint", "fontTools")) and r.levelno < logging.WARNING
    ]
