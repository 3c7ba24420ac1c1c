"""Uploads received safely whatever the client sends as file name.

Django names the temporary file of a large upload (above ``FILE_UPLOAD_MAX_MEMORY_SIZE``) with the
client's extension: a file name of a few hundred characters with a long "extension" made that name
too long for the file system (``OSError``, a 500, issue 14). Here the name is shortened before the
temporary file exists; the stored name is rebuilt anyway (``fonds.dossiers.documents.safe_name``).
"""

from __future__ import annotations

import os

from django.core.files.uploadhandler import TemporaryFileUploadHandler

MAX_NAME = 255
MAX_EXTENSION = 16


def short_upload_name(name: str | None) -> str | None:
    """At most ``MAX_NAME`` characters, keeping a short extension; a name whose extension is longer
    than ``MAX_EXTENSION`` keeps no dot (``"a." + "x" * 600`` becomes ``"a_xxx…"``, cut)."""
    if not name:
        return name
    stem, extension = os.path.splitext(name)
    if len(extension) > MAX_EXTENSION:
        stem, extension = name.replace(".", "_"), ""
    return stem[: MAX_NAME - len(extension)] + extension


class SafeNameTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, short_upload_name(file_name), *args, **kwargs)
