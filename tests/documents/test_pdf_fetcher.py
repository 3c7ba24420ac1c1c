"""PDFs never fetch a URL a user could choose (no server-side request), nor a file outside the project."""

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from fonds.documents.pdf import write_pdf
from fonds.documents.render import ForbiddenResource, safe_url_fetcher


def test_http_url_refused():
    with pytest.raises(ForbiddenResource):
        safe_url_fetcher("http://169.254.169.254/latest/meta-data/")


def test_file_outside_the_project_refused():
    with pytest.raises(ForbiddenResource):
        safe_url_fetcher("file:///etc/passwd")


def test_data_uri_allowed():
    assert safe_url_fetcher("data:text/plain,hello")


def test_a_pdf_with_an_external_image_makes_no_request_and_still_renders():
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pdf = write_pdf(
            f'<p>Bonjour</p><img src="http://127.0.0.1:{server.server_port}/ssrf.png"><link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">'
        )
    finally:
        server.shutdown()
    assert hits == []
    assert "Bonjour" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
