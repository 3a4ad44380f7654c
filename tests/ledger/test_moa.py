"""Reading 287(g) MOA PDFs: real agreements (fixtures copied from the reference set), a scan without a
text layer, a PDF that is not an agreement and broken files. Expected values were checked by hand
against the PDFs (page numbers are 1-based PDF page indexes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from sharemap.errors import InputError
from sharemap.kb.model import MoaCategory, MoaStatus, MoaTerm, MoaTerms, Model287g
from sharemap.ledger.moa import (
    ICE_MOA_URL,
    build_moa_terms,
    documents_to_rows,
    load_shipped_moa_terms,
    read_moa,
    terms_to_rows,
)
from sharemap.settings import reference_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "moa"
REFERENCE = reference_dir() / "moa-pdfs"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference MOA PDFs not present")

FINNEY_WSO_2020 = "287gWSO_FinneyCoKs2020-03-17.pdf"
FLDOC_JEM_2020 = "287gJEM_FL_DOC_FL_08-21-2020.pdf"
ARCADIA_TFM_2025 = "ArcadiaPDFL_TFM_MOA_030425.pdf"
HARDEE_WSO_2025 = "hardeeCoSheriffsOffice_WSO_MOA_02.26.2025.pdf"
SCANNED = "scanned_WashingtonCoSheriffsOfficeUT_TFM_pages1and9.pdf"
REAL = (FINNEY_WSO_2020, FLDOC_JEM_2020, ARCADIA_TFM_2025, HARDEE_WSO_2025)


@pytest.fixture(scope="module")
def moas() -> dict[str, MoaTerms]:
    return {name: read_moa(FIXTURES / name) for name in (*REAL, SCANNED)}


def one(doc: MoaTerms, term: str) -> MoaTerm:
    found = doc.get(term)
    assert len(found) == 1, f"{doc.file_name}: {term} found {len(found)} times"
    return found[0]


# --- the three models -----------------------------------------------------------------------------


def test_wso_2020_serves_warrants_but_makes_no_field_arrests(moas: dict[str, MoaTerms]) -> None:
    doc = moas[FINNEY_WSO_2020]
    assert doc.status is MoaStatus.OK
    assert doc.model is Model287g.WSO
    # The 2019-2020 WSO template has no model in its title: the model is inferred from the SOP.
    assert "inferred" in one(doc, "model").label
    assert doc.functions_listed
    assert doc.authorises("serve_arrest_warrant") is True  # Warrant for Arrest of Alien (I-200)
    assert doc.authorises("serve_removal_warrant") is True  # Warrant of Removal (I-205)
    for absent in ("arrest_without_warrant", "arrest_felony_without_warrant", "interrogate_status"):
        assert doc.authorises(absent) is False
    assert {t.term for t in doc.by_category(MoaCategory.FUNCTION)} == {
        "serve_arrest_warrant",
        "serve_removal_warrant",
    }
    assert one(doc, "serve_arrest_warrant").pages == (8,)
    assert doc.lea_name == "Finney County Sheriff’s Office"
    assert one(doc, "ice_field_office").value == "Chicago Field Office"
    notice = one(doc, "termination_notice_days")
    assert notice.value == "Either party may terminate or suspend on 90 days' written notice"
    assert notice.pages == (6,)
    assert one(doc, "steering_committee").pages == (6,)
    assert one(doc, "lea_pays_training_travel").category is MoaCategory.COSTS
    # Signatures in this PDF are images: no date is guessed.
    assert doc.signature_dates() == {}
    assert "signature_date" in doc.not_found


def test_tfm_2025_authorises_field_arrests(moas: dict[str, MoaTerms]) -> None:
    doc = moas[ARCADIA_TFM_2025]
    assert doc.model is Model287g.TFM
    assert one(doc, "model").pages == (1,)
    assert doc.authorises("arrest_without_warrant") is True
    assert doc.authorises("arrest_felony_without_warrant") is True
    assert one(doc, "arrest_without_warrant").pages == (2,)
    assert doc.authorises("issue_detainers") is True
    assert doc.authorises("prepare_i213") is True
    assert one(doc, "prepare_i213").pages == (3,)
    assert doc.authorises("serve_removal_warrant") is False
    # The agency and the dates are filled-in form fields, not page text.
    assert doc.lea_name == "Arcadia Police Dept (APD)"
    assert doc.signature_dates() == {"lea": dt.date(2025, 2, 28), "ice": dt.date(2025, 3, 5)}
    assert {t.pages for t in doc.get("signature_date")} == {(9,)}
    systems = doc.get("system_named")
    assert [(t.value, t.pages) for t in systems] == [("TECS II", (6,))]
    assert one(doc, "authorization_period").value == "Authorisation for an initial period of two years"
    assert one(doc, "template_revision").value == "2025-02-12"
    # These MOAs state no training length: it is reported as not found, never guessed.
    assert "training_duration" in doc.not_found
    assert not doc.get("training_duration")


def test_jem_2020_jail_functions_and_detainers(moas: dict[str, MoaTerms]) -> None:
    doc = moas[FLDOC_JEM_2020]
    assert doc.model is Model287g.JEM
    assert doc.lea_name == "Florida Department of Corrections"
    expected = {
        "interrogate_status",
        "serve_arrest_warrant",
        "serve_removal_warrant",
        "process_oaths_evidence",
        "prepare_charging_documents",
        "issue_detainers",
        "prepare_i213",
        "detain_transport",
    }
    assert {t.term for t in doc.by_category(MoaCategory.FUNCTION)} == expected
    assert doc.authorises("arrest_without_warrant") is False
    assert one(doc, "prepare_i213").pages == (9,)
    assert one(doc, "detainer_notice_hours").value.endswith("within about 24 hours")
    assert one(doc, "steering_committee").pages == (6,)
    # ICE signed digitally (left column); the agency's handwritten date is not legible as text.
    assert doc.signature_dates() == {"ice": dt.date(2020, 8, 21)}
    assert one(doc, "signature_date").pages == (7,)
    assert one(doc, "privacy_act").category is MoaCategory.RECORDS_DATA
    assert one(doc, "a_files_federal_records").pages == (9,)


def test_wso_2025_template(moas: dict[str, MoaTerms]) -> None:
    doc = moas[HARDEE_WSO_2025]
    assert doc.model is Model287g.WSO
    assert one(doc, "model").pages == (1,)
    assert doc.lea_name == "Hardee County Sheriff's Office"
    assert doc.signature_dates() == {"lea": dt.date(2025, 2, 19), "ice": dt.date(2025, 2, 26)}
    assert {t.pages for t in doc.get("signature_date")} == {(7,)}
    assert doc.authorises("serve_arrest_warrant") and doc.authorises("serve_removal_warrant")
    assert doc.authorises("arrest_without_warrant") is False
    assert one(doc, "termination_notice_days").pages == (6,)
    assert one(doc, "template_revision").value == "2025-02-14"
    assert one(doc, "hold_after_transfer_hours").value.startswith(
        "Held in the LEA jail no more than 48 hours"
    )


# --- evidence ---------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def test_every_term_cites_pages_and_a_short_quote_found_on_them(moas: dict[str, MoaTerms]) -> None:
    # Check against an independent text extraction (PDFium's, not pdfplumber's).
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    for name in REAL:
        doc = moas[name]
        pdf = pdfium.PdfDocument(FIXTURES / name)
        raw = [_norm(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
        pdf.close()
        for term in doc.terms:
            assert term.pages and all(1 <= p <= doc.page_count for p in term.pages), term
            assert 0 < len(term.snippet) <= 160 and len(term.snippet.split()) <= 30, term
            if term.snippet.split(":")[0].lower().startswith(("date", "name of lea")):
                continue  # read from a form field on that page, not from the page text
            head = _norm(" ".join(term.snippet.split()[:3]))
            pages_text = "".join(raw[p - 1] for p in term.pages)
            assert head in pages_text, (name, term.term, term.snippet, term.pages)


# --- no text layer, not an agreement, broken files -----------------------------------------------


def test_scan_without_text_layer_gets_a_status_not_a_crash(moas: dict[str, MoaTerms]) -> None:
    doc = moas[SCANNED]
    assert doc.status is MoaStatus.NO_TEXT_LAYER
    assert doc.page_count == 2 and doc.text_pages == ()
    assert doc.model is None and doc.lea_name is None
    assert doc.functions_listed is False
    assert doc.authorises("arrest_without_warrant") is None  # unknown, not "no"
    assert "model" in doc.not_found and "lea" in doc.not_found
    assert any("no text layer" in note for note in doc.notes)
    # The only text is the typed ICE signature block laid over the scan of the signature page.
    assert doc.signature_dates() == {"ice": dt.date(2025, 3, 21)}
    assert one(doc, "signature_date").pages == (2,)


def test_pdf_that_is_not_an_agreement_is_refused() -> None:
    path = FIXTURES / "not_an_agreement.pdf"
    with pytest.raises(InputError) as err:
        read_moa(path)
    assert "not_an_agreement.pdf" in str(err.value)
    assert "expected a 287(g) memorandum of agreement" in str(err.value)


@pytest.mark.parametrize("name", ["not_a_pdf.pdf", "truncated.pdf"])
def test_broken_or_non_pdf_files_name_the_file(name: str) -> None:
    with pytest.raises(InputError) as err:
        read_moa(FIXTURES / name)
    assert name in str(err.value)
    assert "expected a PDF file" in str(err.value)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.pdf: file is empty"):
        read_moa(empty)
    with pytest.raises(InputError, match=r"missing\.pdf: file not found"):
        read_moa(tmp_path / "missing.pdf")


# --- rows for the store, shipped data, rebuild -----------------------------------------------------


def test_terms_to_rows(moas: dict[str, MoaTerms]) -> None:
    doc = moas[ARCADIA_TFM_2025]
    rows = terms_to_rows(doc)
    assert len(rows) == len(doc.terms)
    assert set(rows[0]) == {
        "file",
        "model",
        "status",
        "category",
        "term",
        "label",
        "value",
        "party",
        "date",
        "pages",
        "page",
        "snippet",
    }
    arrest = next(r for r in rows if r["term"] == "arrest_without_warrant")
    assert arrest["file"] == ARCADIA_TFM_2025
    assert arrest["model"] == "task_force_model" and arrest["category"] == "function"
    assert arrest["pages"] == "2" and arrest["page"] == 2
    ice = next(r for r in rows if r["term"] == "signature_date" and r["party"] == "ice")
    assert ice["date"] == "2025-03-05"
    assert len(terms_to_rows([doc, moas[SCANNED]])) == len(rows) + 1


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_terms_cover_the_18_reference_moas() -> None:
    shipped = load_shipped_moa_terms()
    assert len(shipped) == 18
    statuses = [d.status for d in shipped]
    assert statuses.count(MoaStatus.OK) == 13
    assert statuses.count(MoaStatus.PARTIAL_TEXT_LAYER) == 1
    assert statuses.count(MoaStatus.NO_TEXT_LAYER) == 4
    models = [d.model for d in shipped if d.model]
    assert (models.count(Model287g.JEM), models.count(Model287g.TFM), models.count(Model287g.WSO)) == (
        4,
        4,
        6,
    )
    for doc in shipped:
        assert doc.source_repo == "appelson/Tracking_287g"
        assert doc.source_commit and re.fullmatch(r"[0-9a-f]{40}", doc.source_commit)
        assert doc.source_path and doc.source_path.endswith(doc.file_name)
        assert doc.original_url == ICE_MOA_URL.format(file=doc.file_name)
    # Every agreement has at least one legible signature date except two 2020 PDFs whose
    # signature blocks are images only.
    undated = sorted(d.file_name for d in shipped if not d.signature_dates())
    assert undated == ["287gJEM_CanadianCoOK2020-03-13.pdf", "287gWSO_FinneyCoKs2020-03-17.pdf"]
    rows = documents_to_rows(shipped)
    assert [r["file"] for r in rows] == [d.file_name for d in shipped]


def test_shipped_terms_match_the_reader_on_the_fixtures(moas: dict[str, MoaTerms]) -> None:
    shipped = {d.file_name: d for d in load_shipped_moa_terms()}
    for name in REAL:
        fresh, kept = moas[name], shipped[name]
        assert kept.sha256 == _sha256(FIXTURES / name) == fresh.sha256
        assert kept.terms == fresh.terms, f"{name}: shipped moa_terms.json is stale; regenerate it"
        assert kept.not_found == fresh.not_found


def test_build_reads_provenance(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / FINNEY_WSO_2020, tmp_path / FINNEY_WSO_2020)
    (tmp_path / "PROVENANCE.tsv").write_text(
        "file\tbytes\tsource_repo\tsource_path\tsource_commit\n"
        f"{FINNEY_WSO_2020}\t155209\towner/repo\tKANSAS/Finney_County_Sheriff\\342\\200\\231s_Office/"
        f"{FINNEY_WSO_2020}\t{'a' * 40}\n",
        encoding="utf-8",
    )
    (built,) = build_moa_terms(tmp_path)
    assert built.source_repo == "owner/repo"
    assert built.source_path == f"KANSAS/Finney_County_Sheriff’s_Office/{FINNEY_WSO_2020}"
    assert built.original_url == f"https://www.ice.gov/doclib/287gMOA/{FINNEY_WSO_2020}"
    with pytest.raises(InputError, match="expected a directory of 287"):
        build_moa_terms(tmp_path / "nowhere")


def test_load_shipped_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "moa_terms.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"moa_terms\.json"):
        load_shipped_moa_terms(bad)


# --- more templates, from the reference set when it is present -------------------------------------


@needs_reference
def test_reference_pdfs_are_the_shipped_ones() -> None:
    shipped = {d.file_name: d.sha256 for d in load_shipped_moa_terms()}
    on_disk = {p.name: _sha256(p) for p in REFERENCE.glob("*.pdf")}
    assert on_disk == shipped


@needs_reference
def test_jem_2025_with_undecoded_glyphs() -> None:
    # Grayson's signature block and parties line use a font without a Unicode map ("(cid:N)").
    doc = read_moa(REFERENCE / "GraysonCountyDCKY_JEM_MOA_030425.pdf")
    assert doc.model is Model287g.JEM
    assert doc.lea_name == "Grayson County Detention Center"
    assert doc.signature_dates() == {"ice": dt.date(2025, 3, 5)}
    assert one(doc, "internal_review_years").value == "ICE may review the MOA internally every three years"
    assert one(doc, "internal_review_years").pages == (6,)


@needs_reference
def test_tfm_with_three_signatories() -> None:
    doc = read_moa(REFERENCE / "KansasBureauOfInv_TFM_MOA_02182025.pdf")
    assert doc.model is Model287g.TFM  # no model in its title: inferred from field-arrest powers
    assert doc.signature_dates() == {
        "lea": dt.date(2025, 2, 17),
        "ice": dt.date(2025, 2, 18),
        "oag": dt.date(2025, 2, 17),
    }
    assert one(doc, "lea_represents").value == "the State of Kansas"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date: March 5, 2025", dt.date(2025, 3, 5)),
        ("02/19/25\nDate:", dt.date(2025, 2, 19)),
        ("Digitally signed ... Date: 2020.08.21 09:55:42 -04'", dt.date(2020, 8, 21)),
        ("SEP - 9 2019\nDate:", dt.date(2019, 9, 9)),  # OCR of a date stamp
        ("OCT 1 5 2019\nDate:", dt.date(2019, 10, 15)),
        ("Title: Acting Director\nRevised 02/14/2025", None),  # a template footer is not a signature date
        ("6. ~ ./L / 7~/-~ o -z.. o", None),  # an illegible handwritten date is not guessed
    ],
)
def test_signature_date_forms(text: str, expected: dt.date | None) -> None:
    from sharemap.ledger.moa import _first_date

    hit = _first_date(text)
    assert (hit[0] if hit else None) == expected


def _constructed_moa(tmp_path: Path, clause: str, stamps: str) -> Path:
    """A two-page PDF printed from text written for this test (not an ICE document): the wording
    of a 2020 287(g) MOA's parties clause and a signature page with PDF signature stamps."""
    weasyprint = pytest.importorskip("weasyprint")
    body = (
        "<h1>MEMORANDUM OF AGREEMENT</h1><p>This Memorandum of Agreement (MOA) constitutes an agreement "
        "between United States Immigration and Customs Enforcement (ICE), a component of the Department "
        f"of Homeland Security (DHS), and {clause} pursuant to which ICE delegates to nominated, trained, "
        "certified, and authorized personnel the authority to perform certain immigration enforcement "
        "functions under Section 287(g) of the Immigration and Nationality Act, 8 U.S.C. 1357(g).</p>"
        + "<p>"
        + " ".join(["The parties agree to the terms set out in this agreement."] * 20)
        + "</p>"
        + "<p style='page-break-before: always'>By signing this MOA, each party represents it is fully "
        "authorized to enter into this MOA, accepts the terms, responsibilities, obligations, and "
        "conditions of this MOA, and agrees to be bound thereto to the fullest extent allowed by law.</p>"
        + stamps
    )
    out = tmp_path / "constructed_moa.pdf"
    weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf(out)
    return out


def test_parties_clause_with_a_space_before_its_comma(tmp_path: Path) -> None:
    clauses = (
        "the Jefferson County Sheriff's Office ,",
        "the Law Enforcement Agency, the Jefferson County Sheriff's Office (JCSO),",
    )
    for clause in clauses:
        terms = read_moa(_constructed_moa(tmp_path, clause, ""))
        (lea,) = [t for t in terms.terms if t.term == "lea"]
        assert lea.value == "Jefferson County Sheriff's Office", clause


def test_digital_signature_stamps_give_signature_dates(tmp_path: Path) -> None:
    stamps = (
        "<table style='width:100%'><tr><td>For the LEA:<br>Sheriff<br>Jefferson County Sheriff's Office<br>"
        "Digitally signed by JOHN Q SAMPLE<br>Date: 2020.05.28 09:12:03 -05'00'</td>"
        "<td>For ICE:<br>Digitally signed by A B EXAMPLE<br>Date: 2020.06.01 11:45:32 -04'00'<br>"
        "Assistant Director, Enforcement and Removal Operations<br>U.S. Immigration and Customs Enforcement"
        "</td></tr></table>"
    )
    terms = read_moa(_constructed_moa(tmp_path, "the Jefferson County Sheriff's Office,", stamps))
    dates = {t.party: (t.value, t.label) for t in terms.terms if t.term == "signature_date"}
    assert dates["lea"][0] == "2020-05-28" and dates["ice"][0] == "2020-06-01"
    assert "digital signature stamp" in dates["ice"][1]
